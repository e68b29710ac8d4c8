# a typo in a block name
databse {
}
