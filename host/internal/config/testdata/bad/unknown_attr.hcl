data_dri = "./x"
