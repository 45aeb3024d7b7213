/* cloud_keys.c - ed25519 key pairs in OpenSSH's formats (cloud_keys.h). */
#include "cloud_keys.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

/* A fixed-size output buffer for the key's binary form. */
struct wbuf {
  unsigned char *p;
  size_t len, cap;
  int overflow;
};

static void put(struct wbuf *b, const void *d, size_t n) {
  if (b->overflow || n > b->cap - b->len) {
    b->overflow = 1;
    return;
  }
  memcpy(b->p + b->len, d, n);
  b->len += n;
}
static void put_u32(struct wbuf *b, uint32_t v) {
  unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                        (unsigned char)(v >> 8), (unsigned char)v};
  put(b, x, 4);
}
static void put_str(struct wbuf *b, const void *d, size_t n) {
  put_u32(b, (uint32_t)n);
  put(b, d, n);
}
static void put_cstr(struct wbuf *b, const char *s) {
  put_str(b, s, strlen(s));
}

static char *b64(const unsigned char *d, size_t n) {
  char *out = malloc(4 * ((n + 2) / 3) + 1);
  if (out)
    EVP_EncodeBlock((unsigned char *)out, d, (int)n);
  return out;
}

void cloud_key_free(char *p) {
  if (p) {
    explicit_bzero(p, strlen(p));
    free(p);
  }
}

int cloud_keypair(char **private_openssh, char **public_line,
                  const char *comment, char *why, size_t why_len) {
  *private_openssh = NULL;
  *public_line = NULL;
  if (!comment)
    comment = "";
  if (strlen(comment) > 1024 || strpbrk(comment, "\r\n")) {
    snprintf(why, why_len, "cloud: bad key comment");
    return -1;
  }
  int rc = -1;
  unsigned char pub[32], seed[32], sk[64], blob[51];
  size_t pub_len = sizeof pub, seed_len = sizeof seed;
  unsigned char *bin = NULL;
  size_t bin_cap = 0;
  char *text = NULL, *enc = NULL, *line = NULL, *pubenc = NULL;
  EVP_PKEY *key = NULL;
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
  if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0 ||
      EVP_PKEY_keygen(ctx, &key) <= 0 ||
      EVP_PKEY_get_raw_public_key(key, pub, &pub_len) <= 0 ||
      EVP_PKEY_get_raw_private_key(key, seed, &seed_len) <= 0 ||
      pub_len != 32 || seed_len != 32) {
    snprintf(why, why_len, "cloud: cannot generate an ed25519 key (libcrypto)");
    goto done;
  }
  uint32_t check;
  if (RAND_bytes((unsigned char *)&check, sizeof check) != 1) {
    snprintf(why, why_len, "cloud: no random numbers (libcrypto)");
    goto done;
  }
  memcpy(sk, seed, 32);
  memcpy(sk + 32, pub, 32);

  /* the public blob: string "ssh-ed25519", string pub */
  struct wbuf pb = {blob, 0, sizeof blob, 0};
  put_cstr(&pb, "ssh-ed25519");
  put_str(&pb, pub, 32);

  size_t clen = strlen(comment);
  size_t priv_len = 4 + 4 + (4 + 11) + (4 + 32) + (4 + 64) + (4 + clen);
  size_t pad = (8 - priv_len % 8) % 8;
  bin_cap = 15 + (4 + 4) + (4 + 4) + 4 + 4 + (4 + pb.len) + 4 + priv_len + pad;
  bin = malloc(bin_cap);
  if (!bin) {
    snprintf(why, why_len, "cloud: out of memory");
    goto done;
  }
  struct wbuf b = {bin, 0, bin_cap, 0};
  put(&b, "openssh-key-v1", 15); /* with its NUL */
  put_cstr(&b, "none");
  put_cstr(&b, "none");
  put_cstr(&b, "");
  put_u32(&b, 1);
  put_str(&b, blob, pb.len);
  put_u32(&b, (uint32_t)(priv_len + pad));
  put_u32(&b, check);
  put_u32(&b, check);
  put_cstr(&b, "ssh-ed25519");
  put_str(&b, pub, 32);
  put_str(&b, sk, 64);
  put_str(&b, comment, clen);
  for (size_t i = 1; i <= pad; i++) {
    unsigned char ch = (unsigned char)i;
    put(&b, &ch, 1);
  }
  if (pb.overflow || b.overflow || b.len != bin_cap) {
    snprintf(why, why_len, "cloud: internal error writing the key");
    goto done;
  }

  enc = b64(bin, b.len);
  pubenc = b64(blob, pb.len);
  size_t elen = enc ? strlen(enc) : 0;
  static const char head[] = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
  static const char tail[] = "-----END OPENSSH PRIVATE KEY-----\n";
  size_t tlen = sizeof head - 1 + elen + elen / 70 + 1 + sizeof tail - 1 + 1;
  text = enc ? malloc(tlen) : NULL;
  size_t llen = (pubenc ? strlen(pubenc) : 0) + clen + 16;
  line = pubenc ? malloc(llen) : NULL;
  if (!text || !line) {
    snprintf(why, why_len, "cloud: out of memory");
    goto done;
  }
  char *o = text;
  memcpy(o, head, sizeof head - 1);
  o += sizeof head - 1;
  for (size_t i = 0; i < elen; i += 70) {
    size_t n = elen - i < 70 ? elen - i : 70;
    memcpy(o, enc + i, n);
    o += n;
    *o++ = '\n';
  }
  memcpy(o, tail, sizeof tail); /* with the NUL */
  snprintf(line, llen, "ssh-ed25519 %s%s%s", pubenc, *comment ? " " : "",
           comment);
  *private_openssh = text;
  *public_line = line;
  text = NULL;
  line = NULL;
  rc = 0;
done:
  explicit_bzero(seed, sizeof seed);
  explicit_bzero(sk, sizeof sk);
  if (bin) {
    explicit_bzero(bin, bin_cap);
    free(bin);
  }
  cloud_key_free(enc);
  cloud_key_free(text);
  free(line);
  free(pubenc);
  EVP_PKEY_free(key); /* OpenSSL clears its private key material */
  EVP_PKEY_CTX_free(ctx);
  return rc;
}

int cloud_fingerprint(const char *public_line, char *out, size_t n) {
  if (!public_line || !out || n < 51)
    return -1;
  const char *p = strchr(public_line, ' ');
  if (!p)
    return -1;
  while (*p == ' ')
    p++;
  size_t len = strcspn(p, " \t\r\n");
  if (len == 0 || len % 4 || len > 16384)
    return -1;
  unsigned char *raw = malloc(len / 4 * 3 + 1);
  if (!raw)
    return -1;
  int got = EVP_DecodeBlock(raw, (const unsigned char *)p, (int)len);
  if (got < 0) {
    free(raw);
    return -1;
  }
  /* EVP_DecodeBlock counts the padding as zero bytes */
  if (p[len - 1] == '=')
    got--;
  if (p[len - 2] == '=')
    got--;
  /* the blob starts with the key type as an SSH string */
  size_t tlen = strcspn(public_line, " ");
  if (got < 4 || (size_t)got < 4 + tlen ||
      ((size_t)raw[0] << 24 | (size_t)raw[1] << 16 | (size_t)raw[2] << 8 |
       raw[3]) != tlen ||
      memcmp(raw + 4, public_line, tlen)) {
    free(raw);
    return -1;
  }
  unsigned char md[32];
  unsigned int mdlen = 0;
  int ok = EVP_Digest(raw, (size_t)got, md, &mdlen, EVP_sha256(), NULL);
  free(raw);
  if (!ok || mdlen != 32)
    return -1;
  char enc[48];
  EVP_EncodeBlock((unsigned char *)enc, md, 32);
  size_t el = strlen(enc);
  while (el && enc[el - 1] == '=')
    enc[--el] = '\0';
  snprintf(out, n, "SHA256:%s", enc);
  return 0;
}
