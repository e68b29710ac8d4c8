data_dir = env("HOME")
