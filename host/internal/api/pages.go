package api

// Pagination of list routes: ?limit= (default 100, at most 1000) and
// ?cursor=, the opaque position after the last item of the previous page.
// The answer stays a JSON array; the cursor of the next page travels in the
// X-Next-Cursor header, which is absent on the last page.

import (
	"net/http"
	"regexp"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
)

const (
	defaultPageSize = 100
	maxPageSize     = 1000
	nextCursorHdr   = "X-Next-Cursor"
)

// cursorPattern is what a cursor may look like: the id (or name) of the
// last item shown; a cursor is never parsed beyond a check of its shape.
var cursorPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// page is a list request's position.
type page struct {
	limit int
	after string
}

// pageParams documents the two query parameters.
func pageParams() []param {
	limit := openapi3.NewIntegerSchema()
	limit.Min, limit.Max = new(1.0), new(float64(maxPageSize))
	return []param{
		{"limit", "How many items at most; default 100, at most 1000.", limit},
		{"cursor", "Where to go on: the X-Next-Cursor header of the previous page.", openapi3.NewStringSchema()},
	}
}

// pageInvalid documents the 400 of a bad limit or cursor.
var pageInvalid = res{http.StatusBadRequest, "limit is not a whole number from 1 to 1000, or cursor is not one " +
	"this route gave (invalid_field).", errBody}

// readPage reads ?limit= and ?cursor=. On failure it has answered.
func readPage(c *gin.Context) (page, bool) {
	p := page{limit: defaultPageSize, after: c.Query("cursor")}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			writeError(c, http.StatusBadRequest, codeInvalidField, "limit must be a whole number from 1 to 1000")
			return page{}, false
		}
		p.limit = n
	}
	if p.after != "" && !cursorPattern.MatchString(p.after) {
		writeError(c, http.StatusBadRequest, codeInvalidField, "cursor is not one this route gave")
		return page{}, false
	}
	return p, true
}

// nextPage sets the header for the page after this one; none after the
// last.
func nextPage(c *gin.Context, next string) {
	if next != "" {
		c.Header(nextCursorHdr, next)
	}
}

// pageOf cuts the page p of items (sorted by id) out of a list held in
// full, for the lists that are small enough to build whole.
func pageOf[T any](items []T, id func(T) string, p page) ([]T, string) {
	start := 0
	if p.after != "" {
		for start < len(items) && id(items[start]) <= p.after {
			start++
		}
	}
	items = items[start:]
	if len(items) > p.limit {
		return items[:p.limit], id(items[p.limit-1])
	}
	return items, ""
}
