package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/secrets"
	bolt "go.etcd.io/bbolt"
)

// A store of schema 2 (tokens without ids, no user_tokens index) opens as
// schema 3 with every token named and listed by its user.
func TestMigrationFromSchema2NamesTokens(t *testing.T) {
	dir := t.TempDir()
	path := Path(dir)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	token, hash, _ := secrets.NewToken()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, m := range migrations[:2] {
			if err := m(tx); err != nil {
				return err
			}
		}
		u := User{ID: "01J00000000000000000000000", Username: "old", Role: RoleAdmin, CreatedAt: at}
		if err := putJSON(tx.Bucket(bucketUsers), []byte(u.ID), u); err != nil {
			return err
		}
		if err := tx.Bucket(bucketUsernames).Put(usernameKey(u.Username), []byte(u.ID)); err != nil {
			return err
		}
		old, _ := json.Marshal(map[string]any{"user_id": u.ID, "kind": TokenAPI, "created_at": at})
		if err := tx.Bucket(bucketTokens).Put(hash[:], old); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, binary.BigEndian.AppendUint64(nil, 2))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	st, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	u, tok, err := st.Session(ctx, secrets.HashToken(token))
	if err != nil || u.Username != "old" || tok.ID == "" || tok.Kind != TokenAPI {
		t.Fatalf("session after the migration: %+v %+v %v", u, tok, err)
	}
	list, err := st.ListTokens(ctx, u.ID)
	if err != nil || len(list) != 1 || list[0].ID != tok.ID {
		t.Fatalf("tokens after the migration: %+v %v", list, err)
	}
}

// Deleting a user takes its accounts (sealed keys, snapshots), webhooks,
// tokens and username with it, and leaves other users alone.
func TestDeleteUserTakesEverything(t *testing.T) {
	f := newFixture(t)
	u, v := f.user(t, "u"), f.user(t, "v")
	a := f.account(t, u.ID, "a", false)
	b := f.account(t, v.ID, "b", false)
	_, h, _ := secrets.NewToken()
	if err := f.st.AddLoginToken(f.ctx, u.ID, h, f.clock.now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	refuse := errors.New("no")
	if _, err := f.st.DeleteUser(f.ctx, u.ID, func(User, []User) error { return refuse }); !errors.Is(err, refuse) {
		t.Fatalf("a refused delete: %v", err)
	}
	gone, err := f.st.DeleteUser(f.ctx, u.ID, func(got User, others []User) error {
		if got.ID != u.ID || len(others) != 1 || others[0].ID != v.ID {
			t.Errorf("check saw %s and %d others", got.ID, len(others))
		}
		return nil
	})
	if err != nil || len(gone) != 1 || gone[0] != a.ID {
		t.Fatalf("DeleteUser = %v, %v", gone, err)
	}
	if _, err := f.st.Account(f.ctx, a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the account stayed: %v", err)
	}
	if _, err := f.st.UserByName(f.ctx, "u"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the username stayed: %v", err)
	}
	if _, _, err := f.st.Session(f.ctx, h); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("the token stayed: %v", err)
	}
	if _, err := f.st.Account(f.ctx, b.ID); err != nil {
		t.Fatalf("another user's account: %v", err)
	}
	if _, err := f.st.DeleteUser(f.ctx, u.ID, func(User, []User) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestAccountPages(t *testing.T) {
	f := newFixture(t)
	u, v := f.user(t, "u"), f.user(t, "v")
	var want []string
	for _, n := range []string{"a", "b", "c"} {
		want = append(want, f.account(t, u.ID, n, false).ID)
	}
	f.account(t, v.ID, "other", false)
	p1, next, err := f.st.ListAccountsPage(f.ctx, u.ID, "", 2)
	if err != nil || len(p1) != 2 || p1[0].ID != want[0] || next != want[1] {
		t.Fatalf("page 1: %d %q %v", len(p1), next, err)
	}
	p2, next, err := f.st.ListAccountsPage(f.ctx, u.ID, next, 2)
	if err != nil || len(p2) != 1 || p2[0].ID != want[2] || next != "" {
		t.Fatalf("page 2: %d %q %v", len(p2), next, err)
	}
	exact, next, _ := f.st.ListAccountsPage(f.ctx, u.ID, "", 3)
	if len(exact) != 3 || next != "" {
		t.Fatalf("a full last page has a next cursor %q", next)
	}
}
