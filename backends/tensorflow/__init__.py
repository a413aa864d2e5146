name = 'tensorflow'
