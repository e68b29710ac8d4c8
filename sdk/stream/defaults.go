package stream

import (
	"reflect"
	"sync"
)

// Defaults fills the unset fields of *o, a struct of options, from def:
// a number or duration that is zero or negative, or any other field at
// its zero value (a nil client, an empty string), takes def's value when
// def sets one. It is how a connector's stream options and a fake's
// stream config take the exchange's documented values: written once, as
// a value, instead of a test per field.
func Defaults[T any](o *T, def T) {
	ov, dv := reflect.ValueOf(o).Elem(), reflect.ValueOf(def)
	if ov.Kind() != reflect.Struct {
		panic("stream.Defaults: options must be a struct")
	}
	for i := range ov.NumField() {
		f, d := ov.Field(i), dv.Field(i)
		if !f.CanSet() || d.IsZero() {
			continue
		}
		unset := f.IsZero()
		switch f.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			unset = f.Int() <= 0
		case reflect.Float32, reflect.Float64:
			unset = f.Float() <= 0
		}
		if unset {
			f.Set(d)
		}
	}
}

// Options hold a connector's stream options O, a struct: a test sets
// them with Set before the first watch, and Init fills their unset fields
// with the exchange's values once, on first use.
type Options[O any] struct {
	Opts O // read after Init
	once sync.Once
}

// Set replaces the options; it must come before the first Init.
func (o *Options[O]) Set(v O) { o.Opts = v }

// Init fills the unset fields of Opts from def (see Defaults) and then
// calls build, which makes what the options size (limits, caps), once;
// later calls do nothing.
func (o *Options[O]) Init(def O, build func(*O)) {
	o.once.Do(func() {
		Defaults(&o.Opts, def)
		build(&o.Opts)
	})
}
