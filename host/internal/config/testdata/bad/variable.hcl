data_dir = var.data
