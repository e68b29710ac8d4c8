exchange {
}
