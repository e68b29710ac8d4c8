webhooks {
  replay_window = "-1s"
}
