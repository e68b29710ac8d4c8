package bitget

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/num"
	"github.com/globalautomation/gahost/sdk/redact"
	"github.com/globalautomation/gahost/sdk/rest"
)

// codeOK is the success code of every answer; code is a string.
const codeOK = "00000"

// envelope is the frame of every Bitget answer. Some doc examples
// say "message" instead of "msg"; both are read.
type envelope struct {
	Code        numText         `json:"code"`
	Msg         string          `json:"msg"`
	Message     string          `json:"message"`
	RequestTime numText         `json:"requestTime"`
	Data        json.RawMessage `json:"data"`
}

func (e *envelope) text() string {
	if e.Msg != "" {
		return e.Msg
	}
	return e.Message
}

// at is the exchange's time of the answer, or zero.
func (e *envelope) at() time.Time {
	ms, err := strconv.ParseInt(string(e.RequestTime), 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// numText is a JSON number field as Bitget sends it: mostly a string, now
// and then a bare number (leverage, requestTime, parentId), kept as its
// exact digits either way.
type numText = num.Text

// call sends req and decodes the data of the envelope into out (when out is
// not nil). A success code whose data cannot be read is a broken answer;
// for an order it means the order exists, so it is an unknown outcome.
func (c *Connector) call(ctx context.Context, acct sdk.Account, req rest.Request, out any) (*envelope, error) {
	var env envelope
	if err := c.http.Do(ctx, acct, req, &env); err != nil {
		return nil, err
	}
	var problem error
	switch {
	case string(env.Code) != codeOK:
		problem = errors.New("no success code")
	case out != nil:
		if err := json.Unmarshal(env.Data, out); err != nil {
			problem = dataProblem(err)
		}
	}
	if problem == nil {
		return &env, nil
	}
	e := sdk.Errorf(sdk.KindUnknown, "bitget: %s %s: malformed answer: %v", req.Method, req.Path, problem)
	if req.Order {
		return nil, rest.UnknownOutcome(e)
	}
	return nil, e
}

// dataProblem describes a decoding failure without echoing the answer.
func dataProblem(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("field %q has JSON type %s", te.Field, te.Value)
	}
	return errors.New("cannot decode the data")
}

// errFieldValue reports a field whose value the connector does not know.
func errFieldValue(field, v string) error {
	return fmt.Errorf("field %s has the unknown value %q", field, redact.Clip(v, rest.MaxText))
}
