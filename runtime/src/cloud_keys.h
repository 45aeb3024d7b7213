/* cloud_keys.h - fresh ed25519 key pairs for cloud instances (libcrypto):
 * the per-run user key the master logs in with, and each instance's host
 * key, generated here and injected through user data so that the master
 * knows the host key before the first connection (strict checking).
 *
 * The private key is written in OpenSSH's own format, unencrypted:
 *
 *   -----BEGIN OPENSSH PRIVATE KEY-----
 *   base64 (lines of 70) of
 *     "openssh-key-v1\0"
 *     string "none" (cipher)  string "none" (kdf)  string "" (kdf options)
 *     uint32 1 (keys)
 *     string public blob: string "ssh-ed25519", string pub[32]
 *     string private section:
 *       uint32 check, uint32 check (the same random number twice)
 *       string "ssh-ed25519", string pub[32], string seed[32] || pub[32],
 *       string comment, padding 1, 2, 3, ... to a multiple of 8
 *   -----END OPENSSH PRIVATE KEY-----
 *
 * which sshd reads as a host key, ssh-keygen -y reads, and libssh2 1.10
 * reads from memory (libssh2_userauth_publickey_frommemory). */
#ifndef PYDRON_CLOUD_KEYS_H
#define PYDRON_CLOUD_KEYS_H

#include <stddef.h>

/* A fresh ed25519 key: *private_openssh (the PEM-like text above, ending
 * in a newline; free with cloud_key_free) and *public_line ("ssh-ed25519
 * AAAA... comment", no newline; free()). comment: one word-ish line, NULL
 * or "" for none. 0, or -1 with why (both outputs NULL). */
int cloud_keypair(char **private_openssh, char **public_line,
                  const char *comment, char *why, size_t why_len);

/* "SHA256:<base64, no padding>" of the key in a public line ("type
 * base64 [comment]"), as ssh-keygen -l prints it. 0, or -1 when the line
 * is not a public key line or out is too small (50 bytes suffice). */
int cloud_fingerprint(const char *public_line, char *out, size_t n);

/* Wipes a private key text, then frees it. NULL is fine. */
void cloud_key_free(char *private_openssh);

#endif /* PYDRON_CLOUD_KEYS_H */
