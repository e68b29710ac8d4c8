package scheduler

// The due-heaps and fair queuing. Each exchange keeps, per user, a heap of
// that user's accounts waiting for their due time, and a heap of those
// users by their earliest due time. When the exchange may start a sync,
// the user whose turn it is goes first among those with an account due
// (start-time fair queuing, pickLocked), so that one user's thousand
// accounts queue behind each other and not in front of another user's
// one.

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

// userQ is one user's accounts on one exchange.
type userQ struct {
	id     string
	queue  dueQueue // its accounts waiting for time
	active int      // its accounts not parked
	// vtime is the user's virtual start time: how many syncs it has
	// started, not counting turns it let pass while it had nothing due.
	vtime uint64
	idx   int // position in the exchange's heads; -1 while queue is empty
}

// headQueue is a min-heap of users by the due time of their earliest
// account.
type headQueue []*userQ

func (q headQueue) Len() int           { return len(q) }
func (q headQueue) Less(i, j int) bool { return q[i].queue[0].due.Before(q[j].queue[0].due) }
func (q headQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].idx, q[j].idx = i, j
}
func (q *headQueue) Push(x any) {
	u := x.(*userQ)
	u.idx = len(*q)
	*q = append(*q, u)
}
func (q *headQueue) Pop() any {
	old := *q
	u := old[len(old)-1]
	old[len(old)-1] = nil
	u.idx = -1
	*q = old[:len(old)-1]
	return u
}

// userLocked is the queue of a user on the exchange, made on first use.
func (ex *exch) userLocked(id string) *userQ {
	u := ex.users[id]
	if u == nil {
		u = &userQ{id: id, idx: -1}
		ex.users[id] = u
	}
	return u
}

// fixHeadLocked puts a user where its queue's new head belongs in heads.
func (ex *exch) fixHeadLocked(u *userQ) {
	switch {
	case len(u.queue) == 0 && u.idx >= 0:
		heap.Remove(&ex.heads, u.idx)
	case len(u.queue) == 0:
	case u.idx >= 0:
		heap.Fix(&ex.heads, u.idx)
	default:
		heap.Push(&ex.heads, u)
	}
	if len(u.queue) == 0 && u.active == 0 {
		delete(ex.users, u.id) // a user coming back starts at the current turn anyway
	}
}

// nextDue is when the exchange's earliest waiting account is due; ok is
// false when none waits.
func (ex *exch) nextDue() (due time.Time, ok bool) {
	if len(ex.heads) == 0 {
		return time.Time{}, false
	}
	return ex.heads[0].queue[0].due, true
}

// pickLocked is the account that starts next among those due at now, or
// nil. Of the users with an account due, the one with the lowest virtual
// start time goes first (the earliest due on a tie), and its earliest
// account. A user who had nothing due for a while starts again at the
// current turn (ex.vnow), not with credit saved up, so it cannot then
// hold the others off; a user with many accounts due gets one turn in
// each round like every other.
func (ex *exch) pickLocked(now time.Time) *entry {
	var best *userQ
	var bestV uint64
	// The users with an account due form the top of heads: walk it down
	// to the first that is not due.
	var walk func(i int)
	walk = func(i int) {
		if i >= len(ex.heads) {
			return
		}
		u := ex.heads[i]
		head := u.queue[0].due
		if head.After(now) {
			return
		}
		v := max(u.vtime, ex.vnow)
		if best == nil || v < bestV || (v == bestV && head.Before(best.queue[0].due)) {
			best, bestV = u, v
		}
		walk(2*i + 1)
		walk(2*i + 2)
	}
	walk(0)
	if best == nil {
		return nil
	}
	return best.queue[0]
}

// startedLocked counts a sync of e's user as started: its turn is used.
func (ex *exch) startedLocked(e *entry) {
	u := ex.users[e.user]
	if u == nil {
		return // a parked account's SyncNow: its user has no turns to take
	}
	v := max(u.vtime, ex.vnow)
	ex.vnow, u.vtime = v, v+1
}

// setDueLocked (re)queues an entry that waits for time (not urgent, not
// parked, not running).
func (s *Scheduler) setDueLocked(e *entry, due time.Time) {
	e.due = due
	if e.urgent || e.parked || e.running {
		return
	}
	ex := s.exchanges[e.exchange]
	u := ex.userLocked(e.user)
	if e.idx >= 0 {
		heap.Fix(&u.queue, e.idx)
	} else {
		heap.Push(&u.queue, e)
	}
	ex.fixHeadLocked(u)
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

// dequeueLocked takes an entry out of its heap and the urgent list.
func (s *Scheduler) dequeueLocked(e *entry) {
	ex := s.exchanges[e.exchange]
	if e.idx >= 0 {
		u := ex.users[e.user]
		heap.Remove(&u.queue, e.idx)
		ex.fixHeadLocked(u)
	}
	if e.urgent {
		e.urgent = false
		if i := slices.Index(ex.urgent, e); i >= 0 {
			ex.urgent = slices.Delete(ex.urgent, i, i+1)
		}
	}
}

// countLocked adds n (1 or -1) to the active accounts of e's exchange and
// user.
func (s *Scheduler) countLocked(e *entry, n int) {
	ex := s.exchanges[e.exchange]
	u := ex.userLocked(e.user)
	ex.active += n
	u.active += n
	ex.gen++
	if n < 0 {
		ex.fixHeadLocked(u)
	}
}
