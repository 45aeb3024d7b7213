/* cloud_userdata.c - the #cloud-config user data (cloud_userdata.h). */
#include "cloud_userdata.h"

#include <stdlib.h>
#include <string.h>

#include "cloud_keys.h"
#include "ssh_conn.h"

/* A public key line that is safe as a YAML plain scalar: "type base64
 * [comment]" of [A-Za-z0-9+/=._@-] words separated by single spaces (no
 * ": ", " #", quotes or line breaks). */
static int plain_key_line(const char *s) {
  /* ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, sk-ssh-ed25519@... */
  if (!s || !*s || *s == ' ' ||
      (strncmp(s, "ssh-", 4) && strncmp(s, "ecdsa-", 6) && strncmp(s, "sk-", 3)))
    return 0;
  for (const char *p = s; *p; p++) {
    if (*p == ' ') {
      if (p[1] == ' ' || p[1] == '\0')
        return 0;
      continue;
    }
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
          (*p >= '0' && *p <= '9') || strchr("+/=._@-", *p)))
      return 0;
  }
  return 1;
}

char *cloud_userdata(const char *username, const char *host_private,
                     const char *host_public, const char *user_public,
                     int ttl_minutes) {
  static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
  if (!username || strpbrk(username, "\r\n") || !host_private ||
      strncmp(host_private, begin, sizeof begin - 1) != 0 ||
      !strstr(host_private, "-----END OPENSSH PRIVATE KEY-----") ||
      strchr(host_private, '\r') || !plain_key_line(host_public) ||
      !plain_key_line(user_public) || ttl_minutes < 1)
    return NULL;

  /* Sized up front, so that no realloc leaves a copy of the private key
   * behind: the fixed text is under 1 KiB; each key line gains 4 spaces. */
  size_t lines = 1;
  for (const char *p = host_private; *p; p++)
    lines += *p == '\n';
  struct ssh_str s = {0};
  s.cap = 1024 + strlen(username) + strlen(host_private) + 4 * lines +
          strlen(host_public) + strlen(user_public) + 64;
  s.p = malloc(s.cap);
  if (!s.p)
    return NULL;
  s.p[0] = '\0';
  ssh_str_add(&s, "#cloud-config\n");
  ssh_str_addf(&s, "# user: %s\n", username);
  ssh_str_add(&s, "ssh_deletekeys: true\n"
                  "ssh_keys:\n"
                  "  ed25519_private: |\n");
  for (const char *p = host_private; *p;) {
    size_t n = strcspn(p, "\n");
    if (n) { /* blank lines (there are none in a key) stay blank */
      ssh_str_add(&s, "    ");
      ssh_str_addf(&s, "%.*s", (int)n, p);
    }
    ssh_str_add(&s, "\n");
    p += n;
    if (*p == '\n')
      p++;
  }
  ssh_str_addf(&s, "  ed25519_public: %s\n", host_public);
  ssh_str_add(&s, "ssh_authorized_keys:\n");
  ssh_str_addf(&s, "  - %s\n", user_public);
  ssh_str_add(&s, "write_files:\n"
                  "  - path: /usr/local/sbin/pydron-watchdog\n"
                  "    permissions: '0755'\n"
                  "    content: |\n"
                  "      #!/bin/sh\n"
                  "      # ends this instance when no Pydron worker has run "
                  "for TTL minutes\n");
  ssh_str_addf(&s, "      ttl=%d; idle=0\n", ttl_minutes);
  ssh_str_add(&s, "      while sleep 60; do\n");
  /* A worker's command line names its run directory (cloud_userdata.h). */
  ssh_str_add(&s, "        if pgrep -f '/pydron-[^/ ]+/run-[^/ ]+/' "
                  ">/dev/null; then idle=0; else idle=$((idle+1)); fi\n");
  ssh_str_add(&s, "        if [ \"$idle\" -ge \"$ttl\" ]; then shutdown -h "
                  "now; fi\n"
                  "      done\n"
                  "runcmd:\n"
                  "  - [sh, -c, 'nohup /usr/local/sbin/pydron-watchdog "
                  ">/dev/null 2>&1 &']\n");
  if (s.failed) {
    if (s.p)
      explicit_bzero(s.p, s.cap);
    ssh_str_free(&s);
    return NULL;
  }
  return s.p;
}
