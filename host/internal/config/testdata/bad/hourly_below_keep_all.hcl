history {
  keep_all   = "720h"
  hourly_for = "168h"
}
