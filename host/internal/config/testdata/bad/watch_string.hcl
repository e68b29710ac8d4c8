plugins {
  watch = "yes"
}
