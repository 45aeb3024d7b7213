/* ec2.h - a small client of the EC2 Query API (version 2016-11-15), just
 * what cloud workers need: start instances, describe them, find a user's
 * instances by tag, terminate them.
 *
 * Requests: HTTPS POST to the endpoint (conf->endpoint, else
 * https://ec2.<region>.amazonaws.com/) with a form-encoded body
 * "Action=...&Version=2016-11-15&..." whose parameters are sorted by name,
 * Content-Type "application/x-www-form-urlencoded; charset=utf-8", signed
 * by libcurl's SigV4 ("aws:amz:<region>:ec2"). Everything goes in the
 * body, nothing in the query string: curl 7.88 mis-signs query strings.
 * The signed headers are content-type;host;x-amz-date, plus
 * x-amz-security-token when there is a session token (curl 7.88 signs
 * every header set with CURLOPT_HTTPHEADER, so no "Expect:"-style empty
 * headers may be added: curl would sign them without sending them).
 *
 * Credentials: conf->accesskeyid and conf->accesskey, else the environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, optional AWS_SESSION_TOKEN).
 * Region: conf->region, else AWS_REGION, else AWS_DEFAULT_REGION.
 * Secrets never appear in messages (they are also redacted from anything
 * the endpoint says), on a command line or on stderr (no CURLOPT_VERBOSE);
 * the client wipes its copies when closed.
 *
 * Responses are XML; a small tree parser (no dependency) reads what is
 * needed. Error responses become messages that say what to do:
 *   "... the EC2 credentials were refused (<Code>: <Message>): check
 *    accesskeyid/accesskey in pydron.conf or AWS_ACCESS_KEY_ID/
 *    AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN"
 *   "... an EC2 quota was reached (...)"            InstanceLimitExceeded,
 *                                                   VcpuLimitExceeded, ...
 *   "... bad image: imageid '<id>' (...)"           InvalidAMIID.*
 *   "... bad size: sizeid '<type>' (...)"           InvalidInstanceType,
 *                        InvalidParameterValue/Unsupported naming the type
 *   "... EC2 <Action> failed: <Code>: <Message>"    anything else
 *   "... cannot reach the EC2 endpoint <url>: ..."  connection, TLS, DNS
 *   "... HTTP <status> from the EC2 endpoint <url>" non-XML HTTP errors
 * Every message starts with "cloud: ". Throttling (RequestLimitExceeded,
 * Throttling, Unavailable, InternalError, ...), 5xx answers, timeouts and
 * dropped connections are retried (3 tries in all, 1 s then 2 s apart;
 * safe for RunInstances thanks to its ClientToken); each try is bounded
 * (connect 10 s, whole request 30 s), so one call takes at most about
 * 95 s. A refused connection or an unknown host is not retried.
 *
 * Threads: a client is used by one thread at a time (it holds one curl
 * easy handle, whose connection is reused between requests); several
 * clients may be used at once from different threads. ec2_open calls
 * curl_global_init once (pthread_once). Debian 12's libcurl 7.88 reports
 * CURL_VERSION_THREADSAFE (its global init is thread-safe); with another
 * build, a program that also uses curl elsewhere should call
 * curl_global_init itself before it starts threads. */
#ifndef PYDRON_EC2_H
#define PYDRON_EC2_H

#include <stddef.h>

#include "config.h"

struct ec2_client;

/* Resolves region, endpoint and credentials from conf (which need not
 * outlive the client: everything is copied). No request is made. 0, or
 * -1 with why (e.g. "cloud: no EC2 credentials: set accesskeyid and
 * accesskey in pydron.conf's cloud section, or AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY in the environment"). */
int ec2_open(struct ec2_client **out, const struct pydron_cloud_conf *conf,
             char *why, size_t why_len);
/* Wipes the credentials and frees. NULL is fine. */
void ec2_close(struct ec2_client *c);

/* The AWS error code of the client's last failed request ("" when it
 * failed without one, or did not fail): lets a caller retry e.g.
 * "InvalidInstanceID.NotFound" right after RunInstances (EC2 is eventually
 * consistent). */
const char *ec2_last_error_code(const struct ec2_client *c);

struct ec2_launch {
  const char *image;          /* ImageId (required) */
  const char *type;           /* InstanceType (required) */
  const char *client_token;   /* ClientToken: makes retries idempotent
                                 (required, at most 64 ASCII characters) */
  const char *user_data;      /* raw text (base64'd here), NULL for none;
                                 at most 16384 bytes */
  const char *security_group; /* "sg-..." id, or a name (default VPC, no
                                 subnet/public_ip only); NULL for none */
  const char *subnet;         /* "subnet-...", NULL for the default */
  int count;                  /* MinCount = MaxCount = count (>= 1) */
  int public_ip;              /* 1: AssociatePublicIpAddress=true */
  const char *tag_run;        /* pydron:run tag, Name = "pydron-<run>" */
  const char *tag_user;       /* pydron:user tag */
  long long tag_expiry;       /* pydron:expiry tag, unix seconds */
};

/* RunInstances: MinCount=MaxCount=count, the client token,
 * InstanceInitiatedShutdownBehavior=terminate, the user data, the tags
 * (on the instances, at creation: TagSpecification.1). With a subnet or
 * public_ip the network settings go in NetworkInterface.1 (device 0,
 * subnet, public address yes/no, security group id, deleted on
 * termination); else a security group is SecurityGroupId.1 (or
 * SecurityGroup.1 for a name). Returns 0 with *ids (malloc'd array of
 * malloc'd ids, free with ec2_free_ids) and *nids, or -1 with why. */
int ec2_run_instances(struct ec2_client *c, const struct ec2_launch *l,
                      char ***ids, int *nids, char *why, size_t why_len);

struct ec2_instance {
  char id[32];
  char state[24];      /* pending, running, shutting-down, terminated,
                          stopping, stopped */
  char public_ip[64];  /* "" when none */
  char private_ip[64]; /* "" when none */
  char run[64];        /* tag pydron:run, "" when none */
  char user[64];       /* tag pydron:user, "" when none */
  long long expiry;    /* tag pydron:expiry, 0 when none or not a number */
};

/* DescribeInstances of these ids (InstanceId.N; nids >= 1). Returns 0
 * with *out (malloc'd, free()) and *nout (the instances EC2 reported, in
 * its order), or -1 with why. An id EC2 does not know fails the whole
 * request (ec2_last_error_code: "InvalidInstanceID.NotFound"). */
int ec2_describe(struct ec2_client *c, char **ids, int nids,
                 struct ec2_instance **out, int *nout, char *why,
                 size_t why_len);

/* The instances tagged pydron:user=user that are pending, running,
 * stopping or stopped (every page of the answer). As ec2_describe. */
int ec2_find(struct ec2_client *c, const char *user, struct ec2_instance **out,
             int *nout, char *why, size_t why_len);

/* TerminateInstances (InstanceId.N; nids >= 1). 0 or -1 with why. */
int ec2_terminate(struct ec2_client *c, char **ids, int nids, char *why,
                  size_t why_len);

/* Frees what ec2_run_instances returned. */
void ec2_free_ids(char **ids, int nids);

/* CreateTags: sets tag key=value on the instances. 0, or -1 with why. */
int ec2_set_tag(struct ec2_client *c, char **ids, int nids, const char *key,
                const char *value, char *why, size_t why_len);

#endif /* PYDRON_EC2_H */
