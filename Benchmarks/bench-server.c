/*
 * bench-server: a minimal TLS 1.3 server on libssl for `tls13 bench`.
 *
 * Protocol (deliberately trivial): after the handshake the client sends one line "GET /<N>\n"; the server
 * writes exactly N bytes of application data, sends close_notify, and closes. Connections are served one
 * after another on one thread (the benchmarks are sequential); session tickets are on (2 per connection,
 * OpenSSL's default), so resumption can be measured.
 *
 * Usage: bench-server -cert FILE -key FILE [-chain FILE] [-accept HOST:PORT] [-n CONNECTIONS]
 * With port 0 it prints "ACCEPT host:port" once listening. Loopback only by default (127.0.0.1:0).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what) {
    fprintf(stderr, "bench-server: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

/* Reads one line (up to '\n') into buf; returns its length without the newline, or -1. */
static int read_line(SSL *ssl, char *buf, int cap) {
    int len = 0;
    while (len < cap - 1) {
        char c;
        int r = SSL_read(ssl, &c, 1);
        if (r <= 0) return -1;
        if (c == '\n') break;
        buf[len++] = c;
    }
    buf[len] = 0;
    return len;
}

static void serve(SSL_CTX *ctx, int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    SSL *ssl = SSL_new(ctx);
    if (!ssl) die("SSL_new");
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
        char line[128];
        if (read_line(ssl, line, sizeof line) > 0 && strncmp(line, "GET /", 5) == 0) {
            long long n = atoll(line + 5);
            static char chunk[16384];
            while (n > 0) {
                int part = n > (long long)sizeof chunk ? (int)sizeof chunk : (int)n;
                int w = SSL_write(ssl, chunk, part);
                if (w <= 0) break;
                n -= w;
            }
        }
        SSL_shutdown(ssl);
    }
    ERR_clear_error();
    SSL_free(ssl);
    close(fd);
}

int main(int argc, char **argv) {
    const char *cert = NULL, *key = NULL, *chain = NULL, *accept_at = "127.0.0.1:0";
    long limit = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-cert")) cert = argv[i + 1];
        else if (!strcmp(argv[i], "-key")) key = argv[i + 1];
        else if (!strcmp(argv[i], "-chain")) chain = argv[i + 1];
        else if (!strcmp(argv[i], "-accept")) accept_at = argv[i + 1];
        else if (!strcmp(argv[i], "-n")) limit = atol(argv[i + 1]);
        else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
    }
    if (!cert || !key) { fprintf(stderr, "usage: bench-server -cert FILE -key FILE [-chain FILE] [-accept HOST:PORT] [-n N]\n"); return 2; }
    signal(SIGPIPE, SIG_IGN);

    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) die("SSL_CTX_new");
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    if (SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1) die("certificate");
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) die("private key");
    if (chain) {
        FILE *f = fopen(chain, "r");
        if (!f) die("chain file");
        X509 *x;
        while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
            if (SSL_CTX_add0_chain_cert(ctx, x) != 1) die("add chain cert");
        }
        ERR_clear_error();
        fclose(f);
    }

    char host[64];
    const char *colon = strrchr(accept_at, ':');
    if (!colon || colon - accept_at >= (long)sizeof host) { fprintf(stderr, "bad -accept\n"); return 2; }
    memcpy(host, accept_at, colon - accept_at);
    host[colon - accept_at] = 0;
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) { fprintf(stderr, "bad address %s\n", host); return 2; }
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, 128) != 0) die(strerror(errno));
    socklen_t alen = sizeof addr;
    getsockname(lfd, (struct sockaddr *)&addr, &alen);
    printf("ACCEPT %s:%d\n", host, ntohs(addr.sin_port));
    fflush(stdout);

    for (long served = 0; limit < 0 || served < limit; served++) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) { if (errno == EINTR) continue; die("accept"); }
        serve(ctx, fd);
    }
    SSL_CTX_free(ctx);
    return 0;
}
