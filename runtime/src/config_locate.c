/* config_locate.c - line and column of a JSON path in pydron.conf.
 *
 * jansson reports positions for syntax errors only; a decoded value does not
 * remember where it came from. A schema error ("workers[1].cores: expected a
 * positive integer") is much easier to fix with "pydron.conf:7:16" in front,
 * so this file walks the text once more, along the path, and counts lines.
 *
 * The text has already been accepted by jansson (with duplicate keys
 * rejected), so the scanner can be small: it only has to skip values, never
 * to diagnose them. It still checks every bound, and gives up (-1) on
 * anything unexpected rather than guess.
 */
#include <stdint.h>
#include <string.h>

#include "schema.h"

struct scan {
  const char *p, *end;
};

static void skip_ws(struct scan *s) {
  while (s->p < s->end &&
         (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

static int skip_string(struct scan *s) {
  if (s->p >= s->end || *s->p != '"')
    return -1;
  for (s->p++; s->p < s->end; s->p++) {
    if (*s->p == '\\')
      s->p++; /* the escaped character, whatever it is */
    else if (*s->p == '"') {
      s->p++;
      return 0;
    }
  }
  return -1;
}

static int skip_value(struct scan *s) {
  skip_ws(s);
  if (s->p >= s->end)
    return -1;
  if (*s->p == '"')
    return skip_string(s);
  if (*s->p == '{' || *s->p == '[') {
    int depth = 0;
    while (s->p < s->end) {
      char ch = *s->p;
      if (ch == '"') {
        if (skip_string(s) != 0)
          return -1;
        continue;
      }
      if (ch == '{' || ch == '[')
        depth++;
      else if ((ch == '}' || ch == ']') && --depth == 0) {
        s->p++;
        return 0;
      }
      s->p++;
    }
    return -1;
  }
  /* A number, true, false or null. */
  while (s->p < s->end && !memchr(",]} \t\r\n", *s->p, 7))
    s->p++;
  return 0;
}

static int hex4(const char *p, const char *end, uint32_t *out) {
  uint32_t v = 0;
  if (end - p < 4)
    return -1;
  for (int i = 0; i < 4; i++) {
    char ch = p[i];
    v <<= 4;
    if (ch >= '0' && ch <= '9')
      v |= (uint32_t)(ch - '0');
    else if (ch >= 'a' && ch <= 'f')
      v |= (uint32_t)(ch - 'a' + 10);
    else if (ch >= 'A' && ch <= 'F')
      v |= (uint32_t)(ch - 'A' + 10);
    else
      return -1;
  }
  *out = v;
  return 0;
}

static size_t put_utf8(uint32_t cp, char *out) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xc0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xe0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  out[0] = (char)(0xf0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
  out[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* Reads the member name at s->p (escapes decoded, as jansson decodes them)
 * and says whether it equals `key`: 1, 0, or -1 when the text is not what
 * was expected. Names longer than the buffer never match (ours are short). */
static int read_key(struct scan *s, const char *key) {
  char buf[512];
  size_t n = 0;
  int fits = 1;
  if (s->p >= s->end || *s->p != '"')
    return -1;
  for (s->p++; s->p < s->end; s->p++) {
    char tmp[8];
    size_t k = 1;
    tmp[0] = *s->p;
    if (*s->p == '"') {
      s->p++;
      return fits && n == strlen(key) && memcmp(buf, key, n) == 0;
    }
    if (*s->p == '\\') {
      if (++s->p >= s->end)
        return -1;
      switch (*s->p) {
      case 'b': tmp[0] = '\b'; break;
      case 'f': tmp[0] = '\f'; break;
      case 'n': tmp[0] = '\n'; break;
      case 'r': tmp[0] = '\r'; break;
      case 't': tmp[0] = '\t'; break;
      case 'u': {
        uint32_t cp, lo;
        if (hex4(s->p + 1, s->end, &cp) != 0)
          return -1;
        s->p += 4;
        if (cp >= 0xd800 && cp < 0xdc00 && s->end - s->p > 6 &&
            s->p[1] == '\\' && s->p[2] == 'u' &&
            hex4(s->p + 3, s->end, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          s->p += 6;
        }
        k = put_utf8(cp, tmp);
        break;
      }
      default: tmp[0] = *s->p; break; /* \" \\ \/ */
      }
    }
    if (n + k > sizeof buf)
      fits = 0;
    else {
      memcpy(buf + n, tmp, k);
      n += k;
    }
  }
  return -1;
}

int pydron_json_locate(const char *text, size_t len,
                       const struct pydron_json_seg *segs, int nsegs,
                       int at_key, int *line, int *column) {
  struct scan s = {text, text + len};
  const char *found = NULL;
  *line = *column = 0;
  if (!text)
    return -1;
  for (int i = 0; i < nsegs; i++) {
    skip_ws(&s);
    if (s.p >= s.end)
      return -1;
    if (segs[i].key) {
      if (*s.p != '{')
        return -1;
      s.p++;
      for (;;) {
        skip_ws(&s);
        const char *name = s.p;
        int eq = read_key(&s, segs[i].key);
        if (eq < 0)
          return -1;
        skip_ws(&s);
        if (s.p >= s.end || *s.p != ':')
          return -1;
        s.p++;
        if (eq) {
          if (i == nsegs - 1 && at_key)
            found = name;
          break;
        }
        if (skip_value(&s) != 0)
          return -1;
        skip_ws(&s);
        if (s.p >= s.end || *s.p != ',')
          return -1; /* '}': the member is not there */
        s.p++;
      }
    } else {
      if (*s.p != '[')
        return -1;
      s.p++;
      for (size_t k = 0; k < segs[i].index; k++) {
        if (skip_value(&s) != 0)
          return -1;
        skip_ws(&s);
        if (s.p >= s.end || *s.p != ',')
          return -1;
        s.p++;
      }
    }
  }
  if (!found) {
    skip_ws(&s);
    found = s.p;
  }
  if (found >= s.end)
    return -1;

  /* Columns count characters, not bytes, as jansson's do. */
  int l = 1, col = 1;
  for (const char *p = text; p < found; p++) {
    if (*p == '\n') {
      l++;
      col = 1;
    } else if (((unsigned char)*p & 0xc0) != 0x80) {
      col++;
    }
  }
  *line = l;
  *column = col;
  return 0;
}
