name = 'torch'
