package scheduler

// The due-heap: the accounts of one exchange waiting for their time, and
// the moves that put an entry in or take it out.

import (
	"container/heap"
	"slices"
	"time"
)

// dueQueue is a min-heap of entries by due time.
type dueQueue []*entry

func (q dueQueue) Len() int           { return len(q) }
func (q dueQueue) Less(i, j int) bool { return q[i].due.Before(q[j].due) }
func (q dueQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].idx, q[j].idx = i, j
}
func (q *dueQueue) Push(x any) {
	e := x.(*entry)
	e.idx = len(*q)
	*q = append(*q, e)
}
func (q *dueQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.idx = -1
	*q = old[:len(old)-1]
	return e
}

// setDueLocked (re)queues an entry that waits for time (not urgent, not
// parked, not running).
func (s *Scheduler) setDueLocked(e *entry, due time.Time) {
	e.due = due
	if e.urgent || e.parked || e.running {
		return
	}
	q := &s.exchanges[e.exchange].queue
	if e.idx >= 0 {
		heap.Fix(q, e.idx)
	} else {
		heap.Push(q, e)
	}
}

// urgeLocked moves an entry to the front of its exchange: a SyncNow waits
// for it.
func (s *Scheduler) urgeLocked(e *entry) {
	if e.urgent {
		return
	}
	s.dequeueLocked(e)
	e.urgent = true
	ex := s.exchanges[e.exchange]
	ex.urgent = append(ex.urgent, e)
}

// dequeueLocked takes an entry out of the heap and the urgent list.
func (s *Scheduler) dequeueLocked(e *entry) {
	ex := s.exchanges[e.exchange]
	if e.idx >= 0 {
		heap.Remove(&ex.queue, e.idx)
	}
	if e.urgent {
		e.urgent = false
		if i := slices.Index(ex.urgent, e); i >= 0 {
			ex.urgent = slices.Delete(ex.urgent, i, i+1)
		}
	}
}
