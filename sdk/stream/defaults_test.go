package stream

import (
	"net/http"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	type opts struct {
		Every  time.Duration
		Wait   time.Duration
		Limit  int
		Cap    int
		Name   string
		Client *http.Client
		Flag   bool
		hidden int
	}
	c := &http.Client{}
	o := opts{Every: time.Second, Wait: -time.Second, Cap: 7, hidden: 0}
	Defaults(&o, opts{Every: time.Minute, Wait: 2 * time.Minute, Limit: 300, Name: "x", Client: c, hidden: 5})
	want := opts{Every: time.Second, Wait: 2 * time.Minute, Limit: 300, Cap: 7, Name: "x", Client: c}
	if o != want {
		t.Fatalf("Defaults = %+v, want %+v", o, want)
	}
	// A field def leaves at zero keeps what it holds, negative included.
	o = opts{Limit: -1}
	Defaults(&o, opts{})
	if o.Limit != -1 {
		t.Fatalf("Limit = %d", o.Limit)
	}
}

func TestOptionsInitOnce(t *testing.T) {
	type opts struct {
		Every time.Duration
		Limit int
	}
	var o Options[opts]
	o.Set(opts{Limit: 7})
	builds := 0
	for range 3 {
		o.Init(opts{Every: time.Second, Limit: 300}, func(v *opts) {
			builds++
			if v.Every != time.Second || v.Limit != 7 {
				t.Errorf("build saw %+v: the defaults fill only what was unset", *v)
			}
		})
	}
	if builds != 1 || o.Opts != (opts{Every: time.Second, Limit: 7}) {
		t.Fatalf("%d builds, options %+v", builds, o.Opts)
	}
}
