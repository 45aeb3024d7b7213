// ec2_unit: unit checks of the cloud pieces that need no cloud: the EC2
// client (ec2.c) against a local fake endpoint that verifies every SigV4
// signature with botocore, the ed25519 keys (cloud_keys.c) against
// ssh-keygen, sshd and libssh2, and the user data (cloud_userdata.c).
//
// Usage: ec2_unit DIR   (a scratch directory; created, left behind)
// Build (from a build directory B of this source tree S):
//   clang -I S/runtime/src S/test/cloud/ec2_unit.c B/lib/libpydron_rt.a \
//     -ljansson -lssh2 -lcrypto -lcurl -lz -ldl -lpthread -lm -o ec2_unit
// Prints "ok"/"FAIL" per check and "SKIP <what>: <why>" for the parts this
// machine cannot run (no python3-botocore; the sshd part without root or
// /usr/sbin/sshd); exits 1 when a check failed. With EC2_UNIT_STRICT=1 a
// skipped part fails too.
//
// The fake endpoint (written to DIR/sigv4_fake.py from the text below)
// recomputes each request's Authorization header with
// botocore.auth.SigV4Auth twice - from the headers the request says it
// signed (what a server does) and from scratch, as botocore would sign the
// same request - and requires both to equal curl's byte for byte, the
// session token to be signed, and the body's parameters to be sorted and
// RFC 3986 encoded.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libssh2.h>
#include <openssl/evp.h>

#include "cloud_keys.h"
#include "cloud_userdata.h"
#include "ec2.h"

#define KEYID "AKIDEC2UNITTEST0001"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYsecret0001"
#define TOKEN "FwoGZXIvYXdzEEC2UNIT/session+token=="
#define REGION "us-test-1"

/* The fake endpoint (written to DIR/sigv4_fake.py). */
static const char fake_py[] =
    "# A tiny EC2 endpoint for ec2_unit: checks every request's SigV4 signature\n"
    "# with botocore (the same computation the AWS SDKs do), then answers a\n"
    "# canned XML. argv: port file, test key id, region. The secrets come in\n"
    "# the environment (EC2_UNIT_SECRET, EC2_UNIT_TOKEN), never argv.\n"
    "import base64, datetime, http.server, os, re, sys, urllib.parse\n"
    "from botocore.auth import SigV4Auth\n"
    "from botocore.awsrequest import AWSRequest\n"
    "from botocore.credentials import Credentials\n"
    "\n"
    "PORT_FILE, KEYID, REGION = sys.argv[1], sys.argv[2], sys.argv[3]\n"
    "SECRET = os.environ[\"EC2_UNIT_SECRET\"]\n"
    "TOKEN = os.environ.get(\"EC2_UNIT_TOKEN\") or None\n"
    "NS = 'xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"'\n"
    "CT = \"application/x-www-form-urlencoded; charset=utf-8\"\n"
    "seen = {\"throttled\": 0}\n"
    "\n"
    "def sign(keyid, secret, token, host, body, headers, amzdate):\n"
    "    # SigV4Auth.add_auth's steps, with the request's own timestamp instead\n"
    "    # of now (botocore 1.29 and 1.4x alike)\n"
    "    req = AWSRequest(method=\"POST\", url=\"http://%s/\" % host, data=body,\n"
    "                     headers=headers)\n"
    "    auth = SigV4Auth(Credentials(keyid, secret, token), \"ec2\", REGION)\n"
    "    req.context[\"timestamp\"] = amzdate\n"
    "    auth._modify_request_before_signing(req)\n"
    "    canonical = auth.canonical_request(req)\n"
    "    signature = auth.signature(auth.string_to_sign(req, canonical), req)\n"
    "    auth._inject_signature_to_request(req, signature)\n"
    "    return req.headers[\"Authorization\"]\n"
    "\n"
    "def check_signature(h, body):\n"
    "    auth = h.headers.get(\"Authorization\", \"\")\n"
    "    m = re.fullmatch(r\"AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/\"\n"
    "                     r\"([^/]+)/aws4_request, SignedHeaders=([a-z0-9;-]+), \"\n"
    "                     r\"Signature=([0-9a-f]{64})\", auth)\n"
    "    if not m:\n"
    "        return \"IncompleteSignature\", \"malformed Authorization: \" + auth[:60]\n"
    "    keyid, day, region, service, signed, sig = m.groups()\n"
    "    if keyid != KEYID:\n"
    "        # quotes the secret on purpose: the client must redact it\n"
    "        return (\"AuthFailure\", \"AWS was not able to validate the provided \"\n"
    "                \"access credentials (secret %s)\" % SECRET)\n"
    "    if region != REGION or service != \"ec2\":\n"
    "        return \"SignatureDoesNotMatch\", \"scope %s/%s\" % (region, service)\n"
    "    names = signed.split(\";\")\n"
    "    if names != sorted(names):\n"
    "        return \"SignatureDoesNotMatch\", \"SignedHeaders not sorted\"\n"
    "    need = [\"content-type\", \"host\", \"x-amz-date\"]\n"
    "    if TOKEN:\n"
    "        need.append(\"x-amz-security-token\")\n"
    "        if h.headers.get(\"X-Amz-Security-Token\") != TOKEN:\n"
    "            return \"InvalidClientTokenId\", \"wrong or no session token\"\n"
    "    elif \"X-Amz-Security-Token\" in h.headers:\n"
    "        return \"InvalidClientTokenId\", \"unexpected session token\"\n"
    "    for n in need:\n"
    "        if n not in names:\n"
    "            return \"SignatureDoesNotMatch\", \"%s is not signed\" % n\n"
    "    if h.headers.get(\"Content-Type\") != CT:\n"
    "        return \"SignatureDoesNotMatch\", \"Content-Type \" + str(h.headers.get(\"Content-Type\"))\n"
    "    amzdate = h.headers.get(\"X-Amz-Date\", \"\")\n"
    "    skew = abs((datetime.datetime.utcnow() -\n"
    "                datetime.datetime.strptime(amzdate, \"%Y%m%dT%H%M%SZ\")).total_seconds())\n"
    "    if skew > 300 or amzdate[:8] != day:\n"
    "        return \"RequestExpired\", \"X-Amz-Date \" + amzdate\n"
    "    # 1. as a server checks: the headers the client says it signed\n"
    "    headers = {}\n"
    "    for n in names:\n"
    "        if h.headers.get(n) is None:\n"
    "            return \"SignatureDoesNotMatch\", \"signed header %s was not sent\" % n\n"
    "        headers[n] = h.headers.get(n)\n"
    "    host = h.headers[\"Host\"]\n"
    "    if sign(keyid, SECRET, TOKEN, host, body, headers, amzdate) != auth:\n"
    "        return \"SignatureDoesNotMatch\", \"botocore computes another signature\"\n"
    "    # 2. as botocore itself would sign this request: same header set and\n"
    "    # the same signature, byte for byte\n"
    "    if sign(keyid, SECRET, TOKEN, host, body, {\"Content-Type\": CT}, amzdate) != auth:\n"
    "        return \"SignatureDoesNotMatch\", \"differs from botocore's own signing\"\n"
    "    return None\n"
    "\n"
    "def check_body(body):\n"
    "    text = body.decode(\"ascii\")\n"
    "    pairs = [p.split(\"=\", 1) for p in text.split(\"&\")]\n"
    "    names = [urllib.parse.unquote(n) for n, _ in pairs]\n"
    "    if names != sorted(names, key=lambda s: s.encode()):\n"
    "        return \"parameters not sorted: %s\" % names\n"
    "    for n, v in pairs:\n"
    "        for raw in (n, v):\n"
    "            if urllib.parse.quote(urllib.parse.unquote(raw), safe=\"-_.~\") != raw:\n"
    "                return \"not RFC 3986 encoded: \" + raw[:40]\n"
    "    return None\n"
    "\n"
    "def error(h, status, code, message):\n"
    "    x = ('<?xml version=\"1.0\" encoding=\"UTF-8\"?>\\n<Response><Errors><Error>'\n"
    "         \"<Code>%s</Code><Message>%s</Message></Error></Errors>\"\n"
    "         \"<RequestID>r-1</RequestID></Response>\" % (code, xesc(message)))\n"
    "    reply(h, status, x)\n"
    "\n"
    "def xesc(s):\n"
    "    return s.replace(\"&\", \"&amp;\").replace(\"<\", \"&lt;\").replace(\">\", \"&gt;\")\n"
    "\n"
    "def reply(h, status, text, ctype=\"text/xml;charset=UTF-8\"):\n"
    "    b = text.encode()\n"
    "    h.send_response(status)\n"
    "    h.send_header(\"Content-Type\", ctype)\n"
    "    h.send_header(\"Content-Length\", str(len(b)))\n"
    "    h.end_headers()\n"
    "    h.wfile.write(b)\n"
    "\n"
    "def instance(i, state=\"running\", run=\"r1\", user=\"alice\", expiry=\"1700000000\"):\n"
    "    return (\"<item><instanceId>i-%017d</instanceId><imageId>ami-1</imageId>\"\n"
    "            \"<instanceState><code>16</code><name>%s</name></instanceState>\"\n"
    "            \"<privateDnsName>ip-10-0-0-%d.ec2.internal</privateDnsName>\"\n"
    "            \"<productCodes/><groupSet><item><groupId>sg-1</groupId>\"\n"
    "            \"<groupName>default</groupName></item></groupSet>\"\n"
    "            \"<privateIpAddress>10.0.0.%d</privateIpAddress>\"\n"
    "            \"<ipAddress>203.0.113.%d</ipAddress>\"\n"
    "            \"<networkInterfaceSet><item><networkInterfaceId>eni-1</networkInterfaceId>\"\n"
    "            \"<privateIpAddress>10.9.9.9</privateIpAddress><association>\"\n"
    "            \"<publicIp>198.51.100.9</publicIp><ipOwnerId>amazon</ipOwnerId>\"\n"
    "            \"</association><privateIpAddressesSet><item><privateIpAddress>10.8.8.8\"\n"
    "            \"</privateIpAddress></item></privateIpAddressesSet></item></networkInterfaceSet>\"\n"
    "            \"<tagSet><item><key>Name</key><value>pydron-%s</value></item>\"\n"
    "            \"<item><key>pydron:run</key><value>%s</value></item>\"\n"
    "            \"<item><key>pydron:user</key><value>%s</value></item>\"\n"
    "            \"<item><key>pydron:expiry</key><value>%s</value></item></tagSet>\"\n"
    "            \"</item>\" % (i, state, i, i, i, xesc(run), xesc(run), xesc(user), expiry))\n"
    "\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    protocol_version = \"HTTP/1.1\"\n"
    "    def log_message(self, *a):\n"
    "        pass\n"
    "    def do_POST(self):\n"
    "        body = self.rfile.read(int(self.headers.get(\"Content-Length\", 0)))\n"
    "        bad = check_signature(self, body)\n"
    "        if bad:\n"
    "            return error(self, 401 if bad[0] == \"AuthFailure\" else 403, *bad)\n"
    "        bad = check_body(body)\n"
    "        if bad:\n"
    "            return error(self, 400, \"TestMismatch\", bad)\n"
    "        q = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))\n"
    "        if q.get(\"Version\") != \"2016-11-15\":\n"
    "            return error(self, 400, \"TestMismatch\", \"Version\")\n"
    "        act = q.get(\"Action\")\n"
    "        if act == \"RunInstances\":\n"
    "            return self.run_instances(q)\n"
    "        if act == \"DescribeInstances\":\n"
    "            if \"Filter.1.Name\" in q:\n"
    "                want = {\"Filter.1.Name\": \"tag:pydron:user\", \"Filter.1.Value.1\": \"alice\",\n"
    "                        \"Filter.2.Name\": \"instance-state-name\",\n"
    "                        \"Filter.2.Value.1\": \"pending\", \"Filter.2.Value.2\": \"running\",\n"
    "                        \"Filter.2.Value.3\": \"stopping\", \"Filter.2.Value.4\": \"stopped\"}\n"
    "                for k, v in want.items():\n"
    "                    if q.get(k) != v:\n"
    "                        return error(self, 400, \"TestMismatch\", \"%s=%s\" % (k, q.get(k)))\n"
    "                if \"NextToken\" not in q:\n"
    "                    items, nxt = instance(1, user=\"alice\"), \"<nextToken>page 2&amp;</nextToken>\"\n"
    "                elif q[\"NextToken\"] == \"page 2&\":\n"
    "                    items, nxt = instance(2, \"stopped\", run=\"r<2>\", user=\"alice\"), \"\"\n"
    "                else:\n"
    "                    return error(self, 400, \"TestMismatch\", \"NextToken \" + q[\"NextToken\"])\n"
    "            else:\n"
    "                ids = [q[k] for k in sorted(q) if k.startswith(\"InstanceId.\")]\n"
    "                if ids == [\"i-99999999999999999\"]:\n"
    "                    return error(self, 400, \"InvalidInstanceID.NotFound\",\n"
    "                                 \"The instance ID 'i-99999999999999999' does not exist\")\n"
    "                items = \"\".join(instance(int(i[2:]), \"pending\" if n else \"running\")\n"
    "                                for n, i in enumerate(ids))\n"
    "                nxt = \"\"\n"
    "            return reply(self, 200, '<?xml version=\"1.0\" encoding=\"UTF-8\"?>\\n'\n"
    "                         \"<DescribeInstancesResponse %s><requestId>r</requestId>\"\n"
    "                         \"<reservationSet><item><reservationId>r-1</reservationId>\"\n"
    "                         \"<ownerId>1</ownerId><groupSet/><instancesSet>%s</instancesSet>\"\n"
    "                         \"</item></reservationSet>%s</DescribeInstancesResponse>\"\n"
    "                         % (NS, items, nxt))\n"
    "        if act == \"TerminateInstances\":\n"
    "            ids = [q[k] for k in sorted(q) if k.startswith(\"InstanceId.\")]\n"
    "            if ids != [\"i-00000000000000001\", \"i-00000000000000002\"]:\n"
    "                return error(self, 400, \"TestMismatch\", \"ids %s\" % ids)\n"
    "            items = \"\".join(\"<item><instanceId>%s</instanceId><currentState><code>32\"\n"
    "                            \"</code><name>shutting-down</name></currentState>\"\n"
    "                            \"<previousState><code>16</code><name>running</name>\"\n"
    "                            \"</previousState></item>\" % i for i in ids)\n"
    "            return reply(self, 200, \"<TerminateInstancesResponse %s><requestId>r\"\n"
    "                         \"</requestId><instancesSet>%s</instancesSet>\"\n"
    "                         \"</TerminateInstancesResponse>\" % (NS, items))\n"
    "        return error(self, 400, \"InvalidAction\", \"no action %s\" % act)\n"
    "\n"
    "    def run_instances(self, q):\n"
    "        img, typ = q.get(\"ImageId\"), q.get(\"InstanceType\")\n"
    "        if img == \"ami-bad\":\n"
    "            return error(self, 400, \"InvalidAMIID.NotFound\",\n"
    "                         \"The image id '[ami-bad]' does not exist\")\n"
    "        if img == \"ami-html\":\n"
    "            return reply(self, 404, \"<html><body>no</body></html>\", \"text/html\")\n"
    "        if img == \"ami-500\":\n"
    "            return reply(self, 500, \"oops\", \"text/plain\")\n"
    "        if typ == \"x9.huge\":\n"
    "            return error(self, 400, \"InvalidParameterValue\",\n"
    "                         \"Invalid value 'x9.huge' for InstanceType.\")\n"
    "        if q.get(\"MinCount\") == \"99\":\n"
    "            return error(self, 400, \"VcpuLimitExceeded\", \"You have requested more \"\n"
    "                         \"vCPU capacity than your current vCPU limit of 32 allows\")\n"
    "        if q.get(\"ClientToken\") == \"throttle\" and not seen[\"throttled\"]:\n"
    "            seen[\"throttled\"] = 1\n"
    "            return error(self, 503, \"RequestLimitExceeded\", \"Request limit exceeded.\")\n"
    "        want = {\"ImageId\": \"ami-1\", \"InstanceType\": \"t3.micro\", \"MinCount\": \"2\",\n"
    "                \"MaxCount\": \"2\", \"InstanceInitiatedShutdownBehavior\": \"terminate\",\n"
    "                \"TagSpecification.1.ResourceType\": \"instance\",\n"
    "                \"TagSpecification.1.Tag.1.Key\": \"Name\",\n"
    "                \"TagSpecification.1.Tag.1.Value\": \"r1\",\n"
    "                \"TagSpecification.1.Tag.2.Key\": \"pydron:run\",\n"
    "                \"TagSpecification.1.Tag.2.Value\": \"r1\",\n"
    "                \"TagSpecification.1.Tag.3.Key\": \"pydron:user\",\n"
    "                \"TagSpecification.1.Tag.3.Value\": \"alice\",\n"
    "                \"TagSpecification.1.Tag.4.Key\": \"pydron:expiry\",\n"
    "                \"TagSpecification.1.Tag.4.Value\": \"1700000000\"}\n"
    "        if q.get(\"ClientToken\") == \"nic\":\n"
    "            want.update({\"NetworkInterface.1.DeviceIndex\": \"0\",\n"
    "                         \"NetworkInterface.1.SubnetId\": \"subnet-1\",\n"
    "                         \"NetworkInterface.1.AssociatePublicIpAddress\": \"true\",\n"
    "                         \"NetworkInterface.1.DeleteOnTermination\": \"true\",\n"
    "                         \"NetworkInterface.1.SecurityGroupId.1\": \"sg-1\"})\n"
    "            if \"SecurityGroupId.1\" in q:\n"
    "                return error(self, 400, \"TestMismatch\", \"SecurityGroupId.1 with a NIC\")\n"
    "        elif q.get(\"ClientToken\") in (\"tok-1\", \"throttle\"):\n"
    "            want[\"SecurityGroupId.1\"] = \"sg-1\"\n"
    "            if any(k.startswith(\"NetworkInterface\") for k in q):\n"
    "                return error(self, 400, \"TestMismatch\", \"NetworkInterface without subnet\")\n"
    "        for k, v in want.items():\n"
    "            if q.get(k) != v:\n"
    "                return error(self, 400, \"TestMismatch\", \"%s=%s\" % (k, q.get(k)))\n"
    "        ud = base64.b64decode(q.get(\"UserData\", \"\"), validate=True).decode()\n"
    "        if ud != os.environ.get(\"EC2_UNIT_USERDATA\", \"\"):\n"
    "            return error(self, 400, \"TestMismatch\", \"UserData differs\")\n"
    "        items = \"\".join(instance(i + 1, \"pending\") for i in range(int(q[\"MinCount\"])))\n"
    "        reply(self, 200, '<?xml version=\"1.0\" encoding=\"UTF-8\"?>\\n'\n"
    "              \"<RunInstancesResponse %s><requestId>r</requestId>\"\n"
    "              \"<reservationId>r-1</reservationId><ownerId>1</ownerId><groupSet/>\"\n"
    "              \"<instancesSet>%s</instancesSet></RunInstancesResponse>\" % (NS, items))\n"
    "\n"
    "srv = http.server.HTTPServer((\"127.0.0.1\", 0), H)\n"
    "with open(PORT_FILE + \".tmp\", \"w\") as f:\n"
    "    f.write(str(srv.server_address[1]))\n"
    "os.rename(PORT_FILE + \".tmp\", PORT_FILE)\n"
    "srv.serve_forever()\n";

static int failures, checks;
static char dir[512];

static void check(int ok, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  checks++;
  printf("%s ", ok ? "ok  " : "FAIL");
  vprintf(fmt, ap);
  printf("\n");
  fflush(stdout);
  va_end(ap);
  if (!ok)
    failures++;
}

static void skip(const char *what, const char *why) {
  printf("SKIP %s: %s\n", what, why);
  fflush(stdout);
  const char *strict = getenv("EC2_UNIT_STRICT");
  if (strict && *strict == '1')
    failures++;
}

/* No secret of the tests may show up in a message. */
static int clean(const char *why) {
  return !strstr(why, SECRET) && !strstr(why, TOKEN) && !strstr(why, KEYID);
}

static char *path(const char *name) {
  static char buf[4][1024];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

static int write_file(const char *p, const char *text, mode_t mode) {
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0)
    return -1;
  size_t n = strlen(text);
  int ok = write(fd, text, n) == (ssize_t)n;
  fchmod(fd, mode);
  return close(fd) == 0 && ok ? 0 : -1;
}

static char *read_file(const char *p) {
  FILE *f = fopen(p, "r");
  if (!f)
    return NULL;
  static char buf[65536];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return strdup(buf);
}

static int run_cmd(const char *cmd) {
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Starts argv in the background (stdout/stderr to log); its pid. */
static pid_t spawn(char *const argv[], const char *log) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    int nul = open("/dev/null", O_RDONLY);
    if (nul >= 0)
      dup2(nul, 0);
    setpgid(0, 0);
    execvp(argv[0], argv);
    _exit(127);
  }
  return pid;
}

static void stop(pid_t pid) {
  if (pid > 0) {
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
  }
}

static void nap_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* ---- keys ---------------------------------------------------------------- */

static void test_keys(char **priv_out, char **pub_out) {
  char *priv = NULL, *pub = NULL, why[512] = "";
  int rc = cloud_keypair(&priv, &pub, "pydron-test", why, sizeof why);
  check(rc == 0, "cloud_keypair %s", why);
  if (rc)
    exit(1);
  check(!strncmp(priv, "-----BEGIN OPENSSH PRIVATE KEY-----\n", 36) &&
            strstr(priv, "\n-----END OPENSSH PRIVATE KEY-----\n") &&
            priv[strlen(priv) - 1] == '\n',
        "private key armour");
  int longest = 0, lines = 0;
  for (const char *p = strchr(priv, '\n') + 1; *p != '-';) {
    int n = (int)strcspn(p, "\n");
    if (n > longest)
      longest = n;
    lines++;
    p += n + 1;
  }
  check(longest == 70 && lines >= 2, "base64 wrapped at 70 (longest %d)",
        longest);
  check(!strncmp(pub, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", 37) &&
            strlen(pub) == 80 + 1 + 11 && !strcmp(pub + 81, "pydron-test"),
        "public line: %s", pub);

  write_file(path("id"), priv, 0600);
  write_file(path("id.pub"), pub, 0644);
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "ssh-keygen -y -f %s > %s 2>&1", path("id"),
           path("id.y"));
  rc = run_cmd(cmd);
  char *y = read_file(path("id.y"));
  check(rc == 0 && y && !strncmp(y, pub, 80) && (y[80] == ' ' || y[80] == '\n'),
        "ssh-keygen -y reads the private key and derives the same public key"
        " (%s)",
        y ? strtok(y, "\n") : "?");
  free(y);

  char fp[128] = "";
  check(cloud_fingerprint(pub, fp, sizeof fp) == 0 &&
            !strncmp(fp, "SHA256:", 7) && strlen(fp) == 7 + 43,
        "cloud_fingerprint %s", fp);
  for (int k = 0; k < 2; k++) {
    snprintf(cmd, sizeof cmd, "ssh-keygen -lf %s > %s 2>&1",
             path(k ? "id" : "id.pub"), path("id.l"));
    rc = run_cmd(cmd);
    char *l = read_file(path("id.l"));
    char want[256];
    snprintf(want, sizeof want, "256 %s pydron-test (ED25519)\n", fp);
    check(rc == 0 && l && !strcmp(l, want),
          "ssh-keygen -lf %s prints the same fingerprint (%s)",
          k ? "id" : "id.pub", l ? strtok(l, "\n") : "?");
    free(l);
  }
  check(cloud_fingerprint("ssh-ed25519 notbase64!", fp, sizeof fp) < 0 &&
            cloud_fingerprint("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAI", fp,
                              sizeof fp) < 0 &&
            cloud_fingerprint("nospace", fp, sizeof fp) < 0,
        "cloud_fingerprint refuses what is not a public key line");

  char *priv2 = NULL, *pub2 = NULL;
  rc = cloud_keypair(&priv2, &pub2, NULL, why, sizeof why);
  check(rc == 0 && strcmp(pub2, pub) && strlen(pub2) == 80,
        "a second key differs; no comment: %s", pub2 ? pub2 : why);
  cloud_key_free(priv2);
  free(pub2);
  *priv_out = priv;
  *pub_out = pub;
}

/* ---- user data -------------------------------------------------------------
 */

static char *test_userdata(const char *host_priv, const char *host_pub,
                           const char *user_pub) {
  char *ud =
      cloud_userdata("admin", host_priv, host_pub, user_pub, 45);
  check(ud != NULL, "cloud_userdata");
  if (!ud)
    exit(1);
  /* the expected text, written out independently */
  char want[16384], keylines[8192] = "";
  size_t kl = 0;
  for (const char *p = host_priv; *p;) {
    size_t n = strcspn(p, "\n");
    kl += (size_t)snprintf(keylines + kl, sizeof keylines - kl, "    %.*s\n",
                           (int)n, p);
    p += n + (p[n] == '\n');
  }
  snprintf(want, sizeof want,
           "#cloud-config\n"
           "# user: admin\n"
           "ssh_deletekeys: true\n"
           "ssh_keys:\n"
           "  ed25519_private: |\n"
           "%s"
           "  ed25519_public: %s\n"
           "ssh_authorized_keys:\n"
           "  - %s\n"
           "write_files:\n"
           "  - path: /usr/local/sbin/pydron-watchdog\n"
           "    permissions: '0755'\n"
           "    content: |\n"
           "      #!/bin/sh\n"
           "      # ends this instance when no Pydron worker has run for TTL "
           "minutes\n"
           "      ttl=45; idle=0\n"
           "      while sleep 60; do\n"
           "        if pgrep -f '/pydron-[^/ ]+/run-[^/ ]+/' >/dev/null; "
           "then idle=0; else idle=$((idle+1)); fi\n"
           "        if [ \"$idle\" -ge \"$ttl\" ]; then shutdown -h now; fi\n"
           "      done\n"
           "runcmd:\n"
           "  - [sh, -c, 'nohup /usr/local/sbin/pydron-watchdog >/dev/null "
           "2>&1 &']\n",
           keylines, host_pub, user_pub);
  check(!strcmp(ud, want), "user data is exactly the documented document");
  if (strcmp(ud, want)) {
    write_file(path("userdata.got"), ud, 0600);
    write_file(path("userdata.want"), want, 0600);
  }
  char *u;
  check(!(u = cloud_userdata("a", host_priv, host_pub, user_pub, 0)),
        "ttl 0 refused");
  cloud_key_free(u);
  check(!(u = cloud_userdata("a", host_priv, host_pub,
                             "ssh-ed25519 AAAA x\n- y", 5)),
        "public key with a line break refused");
  cloud_key_free(u);
  check(!(u = cloud_userdata("a\nb: c", host_priv, host_pub, user_pub, 5)),
        "user name with a line break refused");
  cloud_key_free(u);
  check(!(u = cloud_userdata("a", "not a key", host_pub, user_pub, 5)),
        "host key that is no OpenSSH private key refused");
  cloud_key_free(u);
  /* The watchdog's pgrep pattern (an extended regex, as pgrep reads it)
   * against command lines: a worker's (dynamic, static, tmp_dir "/"), and
   * the watchdog's own, which must not keep the instance alive. */
  {
    const char *q = strstr(ud, "pgrep -f '");
    char pat[128] = "";
    if (q)
      sscanf(q + 10, "%127[^']", pat);
    regex_t re;
    int ok = pat[0] && regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) == 0;
    check(ok, "the watchdog's pgrep pattern is an extended regex");
    const char *workers[] = {
        "/tmp/pydron-root/run-vm-30168-25f340b7/ld-linux-x86-64.so.2 "
        "--library-path /tmp/pydron-root/run-vm-30168-25f340b7 --argv0 prog "
        "/tmp/pydron-root/run-vm-30168-25f340b7/prog",
        "/var/tmp/pydron-ec2-user/run-ip-10-0-0-1-77-0a1b2c3d/prog",
        "/pydron-admin/run-host-1-00000001/prog"};
    for (size_t i = 0; ok && i < sizeof workers / sizeof *workers; i++)
      check(regexec(&re, workers[i], 0, NULL, 0) == 0,
            "the watchdog sees a worker");
    if (ok) {
      check(regexec(&re, "/bin/sh /usr/local/sbin/pydron-watchdog", 0, NULL,
                    0) != 0,
            "the watchdog does not see itself");
      regfree(&re);
    }
  }
  /* the fake YAML reader of test/cloud is not ours: at least check that
   * python's yaml (when there) reads the same keys back */
  write_file(path("userdata"), ud, 0600);
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "python3 -c 'import yaml' 2>/dev/null || exit 77; python3 - %s %s "
           "<<'PY'\n"
           "import sys, yaml\n"
           "d = yaml.safe_load(open(sys.argv[1]))\n"
           "key = open(sys.argv[2]).read()\n"
           "assert d['ssh_deletekeys'] is True\n"
           "assert d['ssh_keys']['ed25519_private'] == key, 'private'\n"
           "assert d['ssh_keys']['ed25519_public'].startswith('ssh-ed25519 ')\n"
           "assert len(d['ssh_authorized_keys']) == 1\n"
           "w = d['write_files'][0]\n"
           "assert w['path'] == '/usr/local/sbin/pydron-watchdog'\n"
           "assert w['permissions'] == '0755'\n"
           "assert w['content'].startswith('#!/bin/sh\\n')\n"
           "assert d['runcmd'] == [['sh', '-c', 'nohup "
           "/usr/local/sbin/pydron-watchdog >/dev/null 2>&1 &']]\n"
           "PY",
           path("userdata"), path("host"));
  write_file(path("host"), host_priv, 0600);
  int rc = run_cmd(cmd);
  if (rc == 77)
    skip("user data YAML check", "no python3-yaml");
  else
    check(rc == 0, "python3 yaml reads the user data back");
  /* and the watchdog is a valid shell script */
  snprintf(cmd, sizeof cmd,
           "sed -n '/^      #!\\/bin\\/sh/,/^      done/s/^      //p' %s > %s "
           "&& sh -n %s && grep -q 'shutdown -h now' %s",
           path("userdata"), path("watchdog"), path("watchdog"),
           path("watchdog"));
  check(run_cmd(cmd) == 0, "the watchdog passes sh -n");
  return ud;
}

/* ---- sshd takes the key as its host key, libssh2 logs in with it -----------
 */

static int free_port(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) ||
      getsockname(s, (struct sockaddr *)&a, &len)) {
    if (s >= 0)
      close(s);
    return -1;
  }
  close(s);
  return ntohs(a.sin_port);
}

static void test_sshd(const char *host_priv, const char *host_pub,
                      const char *user_priv, const char *user_pub) {
  if (geteuid() != 0) {
    skip("sshd/libssh2 check", "not root");
    return;
  }
  if (access("/usr/sbin/sshd", X_OK)) {
    skip("sshd/libssh2 check", "no /usr/sbin/sshd");
    return;
  }
  mkdir("/run/sshd", 0755);
  write_file(path("host"), host_priv, 0600);
  char ak[1024];
  snprintf(ak, sizeof ak, "%s\n", user_pub);
  write_file(path("authorized_keys"), ak, 0644);
  pid_t pid = -1;
  int port = -1, up = 0;
  for (int attempt = 0; attempt < 5 && !up; attempt++) {
    port = free_port();
    char conf[4096];
    snprintf(conf, sizeof conf,
             "Port %d\nListenAddress 127.0.0.1\nHostKey %s\nPidFile %s\n"
             "AuthorizedKeysFile %s\nUsePAM no\nPubkeyAuthentication yes\n"
             "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
             "PermitRootLogin yes\nStrictModes no\nUseDNS no\nLogLevel "
             "VERBOSE\n",
             port, path("host"), path("sshd.pid"), path("authorized_keys"));
    write_file(path("sshd.conf"), conf, 0600);
    char *argv[] = {"/usr/sbin/sshd",  "-D", "-e", "-f",
                    path("sshd.conf"), NULL};
    pid = spawn(argv, path("sshd.log"));
    for (int i = 0; i < 200 && !up; i++) {
      nap_ms(50);
      char *log = read_file(path("sshd.log"));
      up = log && strstr(log, "Server listening on");
      free(log);
      if (waitpid(pid, NULL, WNOHANG) == pid) {
        pid = -1;
        break;
      }
    }
    if (!up)
      stop(pid);
  }
  check(up, "sshd starts with the generated key as its host key (log: %s)",
        path("sshd.log"));
  if (!up)
    return;

  libssh2_init(0);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((unsigned short)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  LIBSSH2_SESSION *ss = libssh2_session_init();
  int ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0 && ss &&
           libssh2_session_handshake(ss, s) == 0;
  check(ok, "libssh2 handshake with that sshd");
  if (ok) {
    size_t klen = 0;
    int ktype = 0;
    const char *key = libssh2_session_hostkey(ss, &klen, &ktype);
    const char *hash = libssh2_hostkey_hash(ss, LIBSSH2_HOSTKEY_HASH_SHA256);
    char fp[128] = "", got[128] = "";
    cloud_fingerprint(host_pub, fp, sizeof fp);
    if (hash) {
      char enc[64];
      EVP_EncodeBlock((unsigned char *)enc, (const unsigned char *)hash, 32);
      enc[43] = '\0';
      snprintf(got, sizeof got, "SHA256:%s", enc);
    }
    check(key && ktype == LIBSSH2_HOSTKEY_TYPE_ED25519 && !strcmp(fp, got),
          "sshd offers the generated host key (%s = %s)", got, fp);
    const char *user = "root";
    int rc = libssh2_userauth_publickey_frommemory(
        ss, user, strlen(user), NULL, 0, user_priv, strlen(user_priv), NULL);
    char *msg = NULL;
    libssh2_session_last_error(ss, &msg, NULL, 0);
    check(rc == 0 && libssh2_userauth_authenticated(ss),
          "libssh2_userauth_publickey_frommemory logs in with the generated "
          "key (%d %s)",
          rc, rc ? msg : "");
    libssh2_session_disconnect(ss, "done");
  }
  if (ss)
    libssh2_session_free(ss);
  if (s >= 0)
    close(s);
  libssh2_exit();
  stop(pid);
}

/* ---- the EC2 client against the fake endpoint
 * ----------------------------------- */

static const char *python(void) {
  const char *p = getenv("CLOUD_PY");
  if (p && *p)
    return p;
  return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

static pid_t start_fake(const char *name, int token, char *url, size_t n) {
  char portfile[1024];
  snprintf(portfile, sizeof portfile, "%s/%s.port", dir, name);
  unlink(portfile);
  if (token)
    setenv("EC2_UNIT_TOKEN", TOKEN, 1);
  else
    unsetenv("EC2_UNIT_TOKEN");
  char log[1024];
  snprintf(log, sizeof log, "%s/%s.log", dir, name);
  char *argv[] = {
      (char *)python(), path("sigv4_fake.py"), portfile, KEYID, REGION, NULL};
  pid_t pid = spawn(argv, log);
  for (int i = 0; i < 300; i++) {
    char *p = read_file(portfile);
    if (p) {
      snprintf(url, n, "http://127.0.0.1:%d/", atoi(p));
      free(p);
      return pid;
    }
    if (waitpid(pid, NULL, WNOHANG) == pid)
      break;
    nap_ms(50);
  }
  check(0, "the fake endpoint %s starts (log: %s)", name, log);
  stop(pid);
  return -1;
}

static void env_creds(int on, int token) {
  if (on) {
    setenv("AWS_ACCESS_KEY_ID", KEYID, 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
  } else {
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
  }
  if (token)
    setenv("AWS_SESSION_TOKEN", TOKEN, 1);
  else
    unsetenv("AWS_SESSION_TOKEN");
}

static struct ec2_launch launch(const char *ud) {
  struct ec2_launch l = {.image = "ami-1",
                         .type = "t3.micro",
                         .client_token = "tok-1",
                         .user_data = ud,
                         .security_group = "sg-1",
                         .count = 2,
                         .tag_run = "r1",
                         .tag_user = "alice",
                         .tag_expiry = 1700000000LL};
  return l;
}

/* RunInstances that must fail; checks why holds `want`. */
static char last_why[1024];
static void launch_fails(struct ec2_client *c, struct ec2_launch l,
                         const char *want, const char *what) {
  char **ids = NULL, *why = last_why;
  size_t why_size = sizeof last_why;
  why[0] = '\0';
  int n = 0;
  int rc = ec2_run_instances(c, &l, &ids, &n, why, why_size);
  check(rc == -1 && ids == NULL && strstr(why, want) && clean(why), "%s: %s",
        what, why);
}

static void test_ec2(const char *ud) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "%s -c 'import botocore.auth' 2>/dev/null",
           python());
  if (run_cmd(cmd) != 0) {
    skip("EC2 client checks", "no botocore for python3 (apt-get install "
                              "python3-botocore)");
    return;
  }
  write_file(path("sigv4_fake.py"), fake_py, 0644);
  setenv("EC2_UNIT_SECRET", SECRET, 1);
  setenv("EC2_UNIT_USERDATA", ud, 1);
  char url[256], url2[256];
  pid_t fake = start_fake("fake-token", 1, url, sizeof url);
  pid_t fake2 = start_fake("fake-plain", 0, url2, sizeof url2);
  if (fake < 0 || fake2 < 0) {
    stop(fake);
    stop(fake2);
    return;
  }
  struct pydron_cloud_conf conf = {0};
  conf.region = REGION;
  conf.endpoint = url;
  char why[1024] = "";
  struct ec2_client *c = NULL;

  /* credentials from the environment, with a session token */
  env_creds(1, 1);
  int rc = ec2_open(&c, &conf, why, sizeof why);
  check(rc == 0, "ec2_open with AWS_* and a session token %s", why);
  if (rc)
    goto out;
  struct ec2_launch l = launch(ud);
  char **ids = NULL;
  int nids = 0;
  rc = ec2_run_instances(c, &l, &ids, &nids, why, sizeof why);
  check(rc == 0 && nids == 2 && !strcmp(ids[0], "i-00000000000000001") &&
            !strcmp(ids[1], "i-00000000000000002"),
        "RunInstances signed with a session token, verified by botocore: %s",
        rc ? why : "2 ids");

  struct ec2_instance *in = NULL;
  int nin = 0;
  if (rc == 0) {
    rc = ec2_describe(c, ids, nids, &in, &nin, why, sizeof why);
    check(rc == 0 && nin == 2, "DescribeInstances by id %s", rc ? why : "");
    if (rc == 0 && nin == 2) {
      check(!strcmp(in[0].id, "i-00000000000000001") &&
                !strcmp(in[0].state, "running") &&
                !strcmp(in[0].public_ip, "203.0.113.1") &&
                !strcmp(in[0].private_ip, "10.0.0.1") &&
                !strcmp(in[0].run, "r1") && !strcmp(in[0].user, "alice") &&
                in[0].expiry == 1700000000LL &&
                !strcmp(in[1].state, "pending") &&
                !strcmp(in[1].private_ip, "10.0.0.2"),
            "instance fields (not the network interface's nested "
            "addresses): %s %s %s %s %s %s %lld / %s %s",
            in[0].id, in[0].state, in[0].public_ip, in[0].private_ip, in[0].run,
            in[0].user, in[0].expiry, in[1].state, in[1].private_ip);
    }
    free(in);
    rc = ec2_terminate(c, ids, nids, why, sizeof why);
    check(rc == 0, "TerminateInstances %s", rc ? why : "");
  }
  ec2_free_ids(ids, nids);

  rc = ec2_find(c, "alice", &in, &nin, why, sizeof why);
  check(rc == 0 && nin == 2 && !strcmp(in[0].id, "i-00000000000000001") &&
            !strcmp(in[1].run, "r<2>") && !strcmp(in[1].state, "stopped"),
        "ec2_find: two pages (nextToken with entities), filters %s",
        rc ? why : (nin == 2 ? in[1].run : "wrong count"));
  free(in);

  char *bad[] = {"i-99999999999999999"};
  rc = ec2_describe(c, bad, 1, &in, &nin, why, sizeof why);
  check(rc == -1 &&
            !strcmp(ec2_last_error_code(c), "InvalidInstanceID.NotFound") &&
            strstr(why, "InvalidInstanceID.NotFound") && clean(why),
        "an unknown id: %s", why);

  l = launch(ud);
  l.client_token = "nic";
  l.subnet = "subnet-1";
  l.public_ip = 1;
  rc = ec2_run_instances(c, &l, &ids, &nids, why, sizeof why);
  check(rc == 0 && nids == 2,
        "RunInstances with subnet/public_ip: "
        "NetworkInterface.1.* %s",
        rc ? why : "");
  ec2_free_ids(ids, nids);

  l = launch(ud);
  l.subnet = "subnet-1";
  l.security_group = "default";
  launch_fails(c, l, "must be an id", "a security group name with a subnet");

  l = launch(ud);
  l.client_token = "throttle";
  time_t t0 = time(NULL);
  rc = ec2_run_instances(c, &l, &ids, &nids, why, sizeof why);
  check(rc == 0 && nids == 2 && time(NULL) - t0 >= 1,
        "RequestLimitExceeded is retried %s", rc ? why : "");
  ec2_free_ids(ids, nids);

  l = launch(ud);
  l.image = "ami-bad";
  launch_fails(c, l, "bad image: imageid 'ami-bad'", "InvalidAMIID");
  l = launch(ud);
  l.type = "x9.huge";
  launch_fails(c, l, "bad size: sizeid 'x9.huge'", "bad instance type");
  l = launch(ud);
  l.count = 99;
  launch_fails(c, l, "quota", "VcpuLimitExceeded");
  l = launch(ud);
  l.image = "ami-html";
  launch_fails(c, l, "HTTP 404 from the EC2 endpoint", "HTTP error");
  l = launch(ud);
  l.image = "ami-500";
  launch_fails(c, l, "HTTP 500 from the EC2 endpoint", "HTTP 500 (retried)");
  ec2_close(c);
  c = NULL;

  /* the same credentials without the token: refused */
  env_creds(1, 0);
  rc = ec2_open(&c, &conf, why, sizeof why);
  l = launch(ud);
  if (rc == 0)
    launch_fails(c, l, "the EC2 credentials were refused",
                 "no session token where one is needed");
  ec2_close(c);
  c = NULL;

  /* credentials from pydron.conf, no token, against the plain fake */
  env_creds(0, 0);
  conf.endpoint = url2;
  conf.accesskeyid = KEYID;
  conf.accesskey = SECRET;
  rc = ec2_open(&c, &conf, why, sizeof why);
  check(rc == 0, "ec2_open with accesskeyid/accesskey %s", why);
  if (rc == 0) {
    l = launch(ud);
    rc = ec2_run_instances(c, &l, &ids, &nids, why, sizeof why);
    check(rc == 0 && nids == 2,
          "RunInstances signed without a token, verified by botocore %s",
          rc ? why : "");
    ec2_free_ids(ids, nids);
  }
  ec2_close(c);
  c = NULL;

  /* a wrong key id: the fake's message quotes the secret: redacted */
  conf.accesskeyid = "AKIDWRONGWRONGWRONG1";
  rc = ec2_open(&c, &conf, why, sizeof why);
  if (rc == 0) {
    l = launch(ud);
    launch_fails(c, l, "the EC2 credentials were refused (AuthFailure",
                 "refused credentials (secret redacted)");
    check(strstr(last_why, "(secret <redacted>)") != NULL,
          "the secret quoted by the endpoint is replaced by <redacted>");
  }
  ec2_close(c);
  c = NULL;
  conf.accesskeyid = KEYID;

  /* the right key id with a wrong secret: botocore's signature differs
   * (shows that the fake's check can fail) */
  conf.accesskey = "wrongWRONGwrongWRONGwrongWRONGwrong00001";
  rc = ec2_open(&c, &conf, why, sizeof why);
  if (rc == 0) {
    l = launch(ud);
    launch_fails(c, l,
                 "the EC2 credentials were refused (SignatureDoesNotMatch",
                 "a wrong secret");
  }
  ec2_close(c);
  c = NULL;
  conf.accesskey = SECRET;

  /* only one half of the credentials */
  conf.accesskey = NULL;
  rc = ec2_open(&c, &conf, why, sizeof why);
  check(rc == -1 && strstr(why, "accesskeyid without accesskey"),
        "half the credentials: %s", why);
  conf.accesskeyid = NULL;

  /* none at all */
  rc = ec2_open(&c, &conf, why, sizeof why);
  check(rc == -1 && strstr(why, "no EC2 credentials") &&
            strstr(why, "AWS_ACCESS_KEY_ID"),
        "no credentials: %s", why);

  /* an endpoint nobody listens on */
  env_creds(1, 0);
  conf.endpoint = "http://127.0.0.1:1/";
  rc = ec2_open(&c, &conf, why, sizeof why);
  if (rc == 0) {
    l = launch(ud);
    launch_fails(c, l, "cannot reach the EC2 endpoint http://127.0.0.1:1/",
                 "unreachable endpoint");
  }
  ec2_close(c);
  c = NULL;

  conf.endpoint = "http://user:pw@127.0.0.1:1/";
  rc = ec2_open(&c, &conf, why, sizeof why);
  check(rc == -1 && strstr(why, "user name or password") && !strstr(why, "pw"),
        "endpoint with credentials in it: %s", why);
  conf.endpoint = "ftp://127.0.0.1/";
  rc = ec2_open(&c, &conf, why, sizeof why);
  check(rc == -1 && strstr(why, "https://"), "ftp endpoint: %s", why);
  conf.endpoint = NULL;
  conf.region = "US East";
  rc = ec2_open(&c, &conf, why, sizeof why);
  check(rc == -1 && strstr(why, "not a region"), "bad region: %s", why);
out:
  ec2_close(c);
  env_creds(0, 0);
  stop(fake);
  stop(fake2);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: ec2_unit DIR\n");
    return 2;
  }
  snprintf(dir, sizeof dir, "%s", argv[1]);
  mkdir(dir, 0700);
  signal(SIGPIPE, SIG_IGN);
  char *host_priv, *host_pub, *user_priv, *user_pub;
  test_keys(&host_priv, &host_pub);
  char why[256];
  if (cloud_keypair(&user_priv, &user_pub, "pydron-run", why, sizeof why)) {
    check(0, "cloud_keypair %s", why);
    return 1;
  }
  char *ud = test_userdata(host_priv, host_pub, user_pub);
  test_sshd(host_priv, host_pub, user_priv, user_pub);
  test_ec2(ud);
  cloud_key_free(ud);
  cloud_key_free(host_priv);
  cloud_key_free(user_priv);
  free(host_pub);
  free(user_pub);
  printf("ec2_unit: %d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
