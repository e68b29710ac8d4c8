package rest

import (
	"testing"
	"time"
)

func TestMillisClock(t *testing.T) {
	paths := map[string]string{"rest": "/time"}
	want := time.UnixMilli(1718000000123)
	tests := []struct {
		name   string
		fields []string
		body   string
		ok     bool
	}{
		{"top-level number", []string{"serverTime"}, `{"serverTime":1718000000123}`, true},
		{"nested number", []string{"data.serverTime"}, `{"code":0,"data":{"serverTime":1718000000123}}`, true},
		{"text in an array", []string{"data.ts"}, `{"code":"0","data":[{"ts":"1718000000123"}]}`, true},
		{"second field", []string{"data.serverTime", "requestTime"}, `{"data":{"serverTime":""},"requestTime":1718000000123}`, true},
		{"missing", []string{"serverTime"}, `{"time":1718000000123}`, false},
		{"zero", []string{"serverTime"}, `{"serverTime":0}`, false},
		{"negative", []string{"serverTime"}, `{"serverTime":-5}`, false},
		{"fraction", []string{"serverTime"}, `{"serverTime":1718000000123.5}`, false},
		{"empty array", []string{"data.ts"}, `{"data":[]}`, false},
		{"not an object", []string{"data.ts"}, `{"data":"x"}`, false},
		{"not JSON", []string{"serverTime"}, `<html>`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := MillisClock(paths, tt.fields...)
			if src.Paths["rest"] != "/time" {
				t.Fatalf("paths %v", src.Paths)
			}
			got, err := src.Parse([]byte(tt.body))
			if tt.ok != (err == nil) || tt.ok && !got.Equal(want) {
				t.Fatalf("Parse(%s) = %v, %v; want ok=%v", tt.body, got, err, tt.ok)
			}
		})
	}
}
