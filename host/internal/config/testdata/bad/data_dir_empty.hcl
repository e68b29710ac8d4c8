data_dir = ""
