memory = 128
