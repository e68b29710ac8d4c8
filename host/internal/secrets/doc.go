// Package secrets owns the host's cryptography about secrets: the master key
// (loaded from the environment or a key file, created on first start),
// AES-256-GCM sealing of exchange credentials, key rotation, API tokens and
// password hashes, and the atomic writing of files that hold secrets.
//
// Sealed form. A sealed value is
//
//	version (1 byte) | key id (8 bytes) | nonce (12 bytes) | ciphertext+tag
//
// and the additional data binds it to its header, the account id and the
// field name, so a ciphertext copied into another account or field, or
// relabelled with another key id, fails to open.
//
// Key sources. A key given in the environment (base64 of 32 bytes) wins over
// the key file. The key file holds 32 raw bytes (base64 text is accepted
// too), must not be readable by group or other, and is created with mode
// 0600 on first start when absent and the store holds nothing sealed.
//
// Rotation. [Rotate] keeps a copy of the old key among the retired keys
// (master.key.retired/<key id>), writes the new key beside the old one
// (master.key.new), re-encrypts every secret in one store transaction, then
// renames the new file over the old. Retired keys are loaded read-only with
// the master key and only open values sealed under their own key id, so a
// database restored from a backup taken before a rotation still opens;
// [ListKeys] shows them with the number of values under each, and
// [DropRetired] deletes one once the database holds nothing sealed with it. [Unlock], called at every start, finishes
// or discards an interrupted rotation by asking the store which key opens it,
// so a crash at any point leaves a store that opens with one of the two keys.
// With a key from the environment the new key comes from
// GAHOST_NEW_MASTER_KEY, and the operator moves it to the main variable after
// the rotation; until then Unlock accepts either.
//
// This package must not store anything itself (the store does, through the
// [Vault] interface), must not log or return in an error any key, plaintext,
// token or password, and knows nothing about HTTP.
package secrets
