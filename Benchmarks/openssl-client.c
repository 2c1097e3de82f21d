/*
 * openssl-client: the libssl comparator for `tls13 bench` (project issue P6).
 *
 * It does the same work as `tls13 bench`, measured the same way, so that "ours / OpenSSL" ratios mean
 * something:
 *   - TLS 1.3 only; by default it offers what our client offers by default, in the same order
 *     (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305; groups X25519, P-256, P-384 with one X25519 key share),
 *     so against Benchmarks/bench-server both negotiate TLS_AES_128_GCM_SHA256 over X25519.
 *   - full chain and hostname verification: SSL_CTX_load_verify_locations(cafile) + SSL_VERIFY_PEER +
 *     SSL_set1_host(servername), SNI = servername.
 *   - the same exchange: after the handshake "GET /<N>\n", read exactly N bytes to close_notify, then send
 *     close_notify and close.
 *   - the same clock: CLOCK_MONOTONIC for wall time, getrusage(RUSAGE_SELF) user+sys for CPU, from the first
 *     measured connection to the last; start-up and one warm-up connection (the process's first handshake,
 *     reported on its own) are excluded.
 *   - the same output: a human summary on stderr and exactly one machine line on stdout:
 *       RESULT mode=full n=<n> ok=<ok> hs_per_s=<x> cpu_ms_per_hs=<x>        (full, resume)
 *       RESULT mode=bulk mb_per_s=<x> cpu_s_per_gib=<x>                      (bulk)
 *       RESULT mode=idle connections=<n> heap_kib_per_conn=<x> rss_kib_per_conn=<x>   (idle)
 *
 * Usage:
 *   openssl-client full|resume HOST:PORT --servername NAME --cafile FILE [-n N] [--size BYTES] [--json FILE]
 *   openssl-client bulk HOST:PORT --servername NAME --cafile FILE [--mib M] [--json FILE]
 *   openssl-client idle HOST:PORT --servername NAME --cafile FILE [--connections N] [--json FILE]
 *   [--ciphersuites LIST] [--groups LIST] override the defaults above (OpenSSL syntax).
 *   [--release-buffers] sets SSL_MODE_RELEASE_BUFFERS (idle connections then hold no record buffers); off by
 *   default, like OpenSSL.
 *
 * resume: each connection resumes the newest ticket received so far (the previous connection's).
 * idle: opens N connections (handshake done, no application data) and holds them; heap growth is measured
 *   with glibc's mallinfo2() (uordblks + hblkhd: bytes in use in all arenas plus mmapped blocks), RSS from
 *   /proc/self/statm, both per connection; then closes them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *mode, *address, *servername, *cafile, *json_path;
static const char *ciphersuites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
static const char *groups = "X25519:P-256:P-384";
static int release_buffers; /* --release-buffers: SSL_MODE_RELEASE_BUFFERS (not OpenSSL's default) */
static long count = 1000, size = 64, mib = 256, connections = 1000;
static char host[256], port[16];
static SSL_SESSION *newest; /* the newest session ticket received (resume mode) */

static void die(const char *what) {
    fprintf(stderr, "openssl-client: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

typedef struct { double wall, cpu; } usage_t;

static usage_t usage_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    usage_t u;
    u.wall = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    u.cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    return u;
}

static usage_t usage_since(usage_t start) {
    usage_t now = usage_now();
    usage_t d = { now.wall - start.wall, now.cpu - start.cpu };
    return d;
}

static long resident_kib(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long total = 0, resident = 0;
    if (!f) return 0;
    if (fscanf(f, "%ld %ld", &total, &resident) != 2) resident = 0;
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE) / 1024;
}

static long peak_resident_kib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static double heap_bytes(void) {
    struct mallinfo2 mi = mallinfo2();
    return (double)mi.uordblks + (double)mi.hblkhd;
}

/* Keeps the newest ticket: with SSL_SESS_CACHE_NO_INTERNAL_STORE the callback owns the session. */
static int on_new_session(SSL *ssl, SSL_SESSION *session) {
    (void)ssl;
    if (newest) SSL_SESSION_free(newest);
    newest = session;
    return 1;
}

static int tcp_connect(void) {
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) { fprintf(stderr, "openssl-client: %s: %s\n", host, gai_strerror(rc)); return -1; }
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        int one = 1; /* as our client does */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

/* TCP connect + verified TLS 1.3 handshake. Returns NULL (after printing why) on failure. */
static SSL *handshake(SSL_CTX *ctx, SSL_SESSION *session) {
    int fd = tcp_connect();
    if (fd < 0) { fprintf(stderr, "openssl-client: connect: %s\n", strerror(errno)); return NULL; }
    SSL *ssl = SSL_new(ctx);
    if (!ssl) die("SSL_new");
    SSL_set_fd(ssl, fd);
    if (SSL_set_tlsext_host_name(ssl, servername) != 1) die("SNI");
    if (SSL_set1_host(ssl, servername) != 1) die("SSL_set1_host");
    if (session && SSL_set_session(ssl, session) != 1) die("SSL_set_session");
    if (SSL_connect(ssl) != 1) {
        fprintf(stderr, "openssl-client: handshake failed (verify: %s)\n",
                X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
        ERR_print_errors_fp(stderr);
        SSL_free(ssl);
        close(fd);
        return NULL;
    }
    return ssl;
}

static void finish(SSL *ssl) {
    int fd = SSL_get_fd(ssl);
    SSL_shutdown(ssl); /* sends our close_notify (the server's has been read, or is not expected) */
    ERR_clear_error();
    SSL_free(ssl);
    close(fd);
}

/* Sends "GET /<n>\n" and reads to close_notify. Returns the byte count, or -1 on truncation or error. */
static long long get(SSL *ssl, long long n) {
    char line[64];
    int len = snprintf(line, sizeof line, "GET /%lld\n", n);
    if (SSL_write(ssl, line, len) != len) return -1;
    static char buf[1 << 16];
    long long received = 0;
    for (;;) {
        int r = SSL_read(ssl, buf, sizeof buf);
        if (r > 0) { received += r; continue; }
        if (SSL_get_error(ssl, r) == SSL_ERROR_ZERO_RETURN) return received; /* close_notify */
        return -1; /* TCP end without close_notify, or an error */
    }
}

/* One connection of full/resume: handshake, GET /size, read to close_notify, close. */
static int exchange(SSL_CTX *ctx, SSL_SESSION *session, int *resumed) {
    SSL *ssl = handshake(ctx, session);
    if (!ssl) return 0;
    long long got = get(ssl, size);
    *resumed = SSL_session_reused(ssl);
    finish(ssl);
    return got == size;
}

static FILE *open_json(void) {
    if (!json_path) return NULL;
    FILE *f = fopen(json_path, "w");
    if (!f) die("cannot write the --json file");
    return f;
}

static void run_handshakes(SSL_CTX *ctx, int resume) {
    int warm_resumed = 0;
    usage_t warm_start = usage_now();
    if (!exchange(ctx, NULL, &warm_resumed)) die("warm-up connection failed");
    usage_t first = usage_since(warm_start);
    long rss_start = resident_kib();

    long ok = 0, resumed = 0, failures = 0;
    usage_t start = usage_now();
    for (long i = 0; i < count; i++) {
        int r = 0;
        SSL_SESSION *session = resume ? newest : NULL;
        if (session) SSL_SESSION_up_ref(session); /* the callback may replace `newest` meanwhile */
        if (exchange(ctx, session, &r)) ok++; else failures++;
        if (session) SSL_SESSION_free(session);
        if (r) resumed++;
    }
    usage_t used = usage_since(start);
    long rss_end = resident_kib();

    double hs_per_s = (double)count / used.wall;
    double cpu_ms = used.cpu * 1000 / (double)count;
    fprintf(stderr, "%s handshakes: %ld measured, %ld ok", mode, count, ok);
    if (resume) fprintf(stderr, ", %ld resumed", resumed);
    fprintf(stderr, " against %s (libssl %s)\n", address, OpenSSL_version(OPENSSL_VERSION));
    fprintf(stderr, "wall: %.3f s (%.1f handshakes/s)\n", used.wall, hs_per_s);
    fprintf(stderr, "client CPU (user+sys): %.3f s = %.3f ms per handshake\n", used.cpu, cpu_ms);
    fprintf(stderr, "first handshake of the process: %.2f ms wall, %.2f ms CPU\n", first.wall * 1000, first.cpu * 1000);
    fprintf(stderr, "RSS: %ld KiB after warm-up, %ld KiB at the end (peak %ld KiB)\n", rss_start, rss_end, peak_resident_kib());
    if (failures) fprintf(stderr, "failures: %ld\n", failures);
    printf("RESULT mode=%s n=%ld ok=%ld hs_per_s=%.1f cpu_ms_per_hs=%.4f\n", mode, count, ok, hs_per_s, cpu_ms);
    FILE *j = open_json();
    if (j) {
        fprintf(j, "{\n  \"client\" : \"openssl\",\n  \"mode\" : \"%s\",\n  \"n\" : %ld,\n  \"ok\" : %ld,\n  \"resumed\" : %ld,\n"
                   "  \"size\" : %ld,\n  \"wall_s\" : %.6f,\n  \"cpu_s\" : %.6f,\n  \"hs_per_s\" : %.3f,\n"
                   "  \"cpu_ms_per_hs\" : %.6f,\n  \"first_hs_wall_ms\" : %.4f,\n  \"first_hs_cpu_ms\" : %.4f,\n"
                   "  \"rss_start_kib\" : %ld,\n  \"rss_end_kib\" : %ld,\n  \"peak_rss_kib\" : %ld,\n  \"failures\" : %ld\n}\n",
                mode, count, ok, resumed, size, used.wall, used.cpu, hs_per_s, cpu_ms, first.wall * 1000,
                first.cpu * 1000, rss_start, rss_end, peak_resident_kib(), failures);
        fclose(j);
    }
    if (ok != count) exit(1);
}

static void run_bulk(SSL_CTX *ctx) {
    SSL *ssl = handshake(ctx, NULL);
    if (!ssl) exit(1);
    long long total = (long long)mib << 20;
    usage_t start = usage_now();
    long long got = get(ssl, total);
    usage_t used = usage_since(start);
    const char *cipher = SSL_get_cipher_name(ssl);
    const char *group = SSL_group_to_name(ssl, SSL_get_negotiated_group(ssl));
    char group_name[64];
    snprintf(group_name, sizeof group_name, "%s", group ? group : "?");
    finish(ssl);
    if (got != total) { fprintf(stderr, "openssl-client: received %lld bytes, expected %lld\n", got, total); exit(1); }
    double mb_per_s = (double)got / 1e6 / used.wall;
    double cpu_per_gib = used.cpu / ((double)got / (double)(1 << 30));
    fprintf(stderr, "bulk: %ld MiB in %.3f s = %.1f MB/s\n", mib, used.wall, mb_per_s);
    fprintf(stderr, "client CPU (user+sys): %.3f s = %.3f s per GiB\ncipher: %s\ngroup: %s\n", used.cpu, cpu_per_gib,
            cipher, group_name);
    printf("RESULT mode=bulk mb_per_s=%.1f cpu_s_per_gib=%.4f\n", mb_per_s, cpu_per_gib);
    FILE *j = open_json();
    if (j) {
        fprintf(j, "{\n  \"client\" : \"openssl\",\n  \"mode\" : \"bulk\",\n  \"mib\" : %ld,\n  \"bytes\" : %lld,\n"
                   "  \"wall_s\" : %.6f,\n  \"cpu_s\" : %.6f,\n  \"mb_per_s\" : %.3f,\n  \"cpu_s_per_gib\" : %.6f,\n"
                   "  \"cipher\" : \"%s\"\n}\n",
                mib, got, used.wall, used.cpu, mb_per_s, cpu_per_gib, cipher);
        fclose(j);
    }
}

static void raise_file_limit(long needed) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) die("getrlimit");
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < needed) {
        fprintf(stderr, "openssl-client: %ld connections need %ld descriptors; the limit is %ld\n", connections,
                needed, (long)rl.rlim_cur);
        exit(1);
    }
}

static void run_idle(SSL_CTX *ctx) {
    raise_file_limit(connections + 64);
    SSL **held = calloc((size_t)connections, sizeof *held);
    if (!held) die("out of memory");
    /* Warm-up: the first handshake loads the trust store and touches every algorithm once. */
    SSL *warm = handshake(ctx, NULL);
    if (!warm) exit(1);
    finish(warm);

    double heap_before = heap_bytes();
    long rss_before = resident_kib();
    usage_t start = usage_now();
    for (long i = 0; i < connections; i++) {
        held[i] = handshake(ctx, NULL);
        if (!held[i]) { fprintf(stderr, "openssl-client: connection %ld of %ld failed\n", i + 1, connections); exit(1); }
    }
    usage_t used = usage_since(start);
    double heap_after = heap_bytes();
    long rss_after = resident_kib();

    double heap_per = (heap_after - heap_before) / 1024 / (double)connections;
    double rss_per = (double)(rss_after - rss_before) / (double)connections;
    fprintf(stderr, "idle: %ld connections held open against %s (%.3f s to open)\n", connections, address, used.wall);
    fprintf(stderr, "heap in use (mallinfo2 uordblks+hblkhd): %.0f KiB before, %.0f KiB after = %.2f KiB per connection\n",
            heap_before / 1024, heap_after / 1024, heap_per);
    fprintf(stderr, "RSS: %ld KiB before, %ld KiB after = %.2f KiB per connection\n", rss_before, rss_after, rss_per);
    printf("RESULT mode=idle connections=%ld heap_kib_per_conn=%.2f rss_kib_per_conn=%.2f\n", connections, heap_per, rss_per);
    fflush(stdout);
    FILE *j = open_json();
    if (j) {
        fprintf(j, "{\n  \"client\" : \"openssl\",\n  \"mode\" : \"idle\",\n  \"connections\" : %ld,\n"
                   "  \"heap_before_bytes\" : %.0f,\n  \"heap_after_bytes\" : %.0f,\n  \"heap_kib_per_conn\" : %.4f,\n"
                   "  \"rss_before_kib\" : %ld,\n  \"rss_after_kib\" : %ld,\n  \"rss_kib_per_conn\" : %.4f\n}\n",
                connections, heap_before, heap_after, heap_per, rss_before, rss_after, rss_per);
        fclose(j);
    }
    for (long i = 0; i < connections; i++) finish(held[i]);
    free(held);
}

static void usage(void) {
    fprintf(stderr,
            "usage: openssl-client full|resume|bulk|idle HOST:PORT --servername NAME --cafile FILE\n"
            "       [-n N] [--size BYTES] [--mib M] [--connections N] [--json FILE]\n"
            "       [--ciphersuites LIST] [--groups LIST] [--release-buffers]\n");
    exit(2);
}

int main(int argc, char **argv) {
    if (argc < 3) usage();
    mode = argv[1];
    address = argv[2];
    for (int i = 3; i < argc; i++) {
        const char *opt = argv[i];
        if (!strcmp(opt, "--release-buffers")) { release_buffers = 1; continue; }
        if (i + 1 >= argc) usage();
        const char *val = argv[++i];
        if (!strcmp(opt, "--servername")) servername = val;
        else if (!strcmp(opt, "--cafile")) cafile = val;
        else if (!strcmp(opt, "-n")) count = atol(val);
        else if (!strcmp(opt, "--size")) size = atol(val);
        else if (!strcmp(opt, "--mib")) mib = atol(val);
        else if (!strcmp(opt, "--connections")) connections = atol(val);
        else if (!strcmp(opt, "--json")) json_path = val;
        else if (!strcmp(opt, "--ciphersuites")) ciphersuites = val;
        else if (!strcmp(opt, "--groups")) groups = val;
        else { fprintf(stderr, "openssl-client: unknown option %s\n", opt); usage(); }
    }
    int full = !strcmp(mode, "full"), resume = !strcmp(mode, "resume"), bulk = !strcmp(mode, "bulk"),
        idle = !strcmp(mode, "idle");
    if (!(full || resume || bulk || idle) || !cafile) usage();
    if (count <= 0 || size < 0 || mib <= 0 || connections <= 0) usage();

    /* host:port or [v6]:port */
    const char *colon = strrchr(address, ':');
    if (!colon || strlen(colon + 1) >= sizeof port) usage();
    size_t hlen = (size_t)(colon - address);
    const char *h = address;
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') { h++; hlen -= 2; }
    if (hlen == 0 || hlen >= sizeof host) usage();
    memcpy(host, h, hlen);
    host[hlen] = 0;
    strcpy(port, colon + 1);
    if (!servername) servername = host;
    signal(SIGPIPE, SIG_IGN);

    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) die("SSL_CTX_new");
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) die("min version");
    if (SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) die("max version");
    if (SSL_CTX_set_ciphersuites(ctx, ciphersuites) != 1) die("ciphersuites");
    if (SSL_CTX_set1_groups_list(ctx, groups) != 1) die("groups");
    if (SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1) die("cannot load --cafile");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, on_new_session);
    if (release_buffers) SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);

    if (full || resume) run_handshakes(ctx, resume);
    else if (bulk) run_bulk(ctx);
    else run_idle(ctx);
    if (newest) SSL_SESSION_free(newest);
    SSL_CTX_free(ctx);
    return 0;
}
