// Command tls13-ech-server is a TLS 1.3 server with Encrypted Client Hello (RFC 9849) on loopback, for the
// swift-tls13 interop tests. Go's standard library serves ECH since Go 1.24 (this program also reads
// ConnectionState.HelloRetryRequest, from Go 1.26); it uses nothing else.
//
// Server (the default):
//
//	tls13-ech-server -certs DIR [-public-name NAME] [-kem x25519|p256] [-suite KDF:AEAD ...] [-config-id N]
//	                 [-max-name-length N] [-reject] [-hrr] [-no-tickets] [-alpn P ...]
//
// It makes a fresh ECH key pair, prints
//
//	ECHCONFIG <base64 ECHConfigList>   the list to give the client (-reject: one the server has no key for)
//	RETRYCONFIG <base64 ECHConfigList> the server's own list, sent as retry_configs when it rejects ECH
//	ACCEPT 127.0.0.1:PORT              listening (port 0: the kernel's choice)
//
// and serves connections until killed. Each connection: the handshake, one line on stdout
//
//	CONNECTION ech=<accepted|rejected> sni=<name> resumed=<bool> hrr=<bool> group=<id> alpn=<proto>
//
// then, after the client's first bytes (an HTTP request, or anything), an HTTP/1.0 answer whose body has the same
// facts one per line (ech_accepted=, server_name=, resumed=, hello_retry_request=, group=, alpn=) and close_notify.
// The inner SNI must be a name of the leaf (localhost); the public name is served leaf-ech-public (ech-public.example).
//
// Client (checks the server without swift-tls13):
//
//	tls13-ech-server client -connect HOST:PORT -ca FILE -servername NAME -ech-config BASE64 [-resume]
//
// prints "RESULT ech_accepted=<bool> resumed=<bool> server_name=<name>" per connection, or on rejection
// "REJECTED retry_configs=<base64>" and exits 3.
package main

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

const echVersion = 0xfe0d

// marshalECHConfig encodes one ECHConfig of version 0xfe0d (RFC 9849 §4).
func marshalECHConfig(id uint8, kem uint16, publicKey []byte, suites [][2]uint16, maxNameLength uint8,
	publicName string) []byte {
	var c []byte
	c = append(c, id)
	c = binary.BigEndian.AppendUint16(c, kem)
	c = binary.BigEndian.AppendUint16(c, uint16(len(publicKey)))
	c = append(c, publicKey...)
	c = binary.BigEndian.AppendUint16(c, uint16(4*len(suites)))
	for _, s := range suites {
		c = binary.BigEndian.AppendUint16(c, s[0])
		c = binary.BigEndian.AppendUint16(c, s[1])
	}
	c = append(c, maxNameLength, uint8(len(publicName)))
	c = append(c, publicName...)
	c = binary.BigEndian.AppendUint16(c, 0) // no extensions
	out := binary.BigEndian.AppendUint16(nil, echVersion)
	out = binary.BigEndian.AppendUint16(out, uint16(len(c)))
	return append(out, c...)
}

// configList wraps configs as an ECHConfigList.
func configList(configs ...[]byte) []byte {
	var body []byte
	for _, c := range configs {
		body = append(body, c...)
	}
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(body))), body...)
}

// newKey returns a fresh private key (RFC 9180 SerializePrivateKey) and public key for the KEM.
func newKey(kem string) (uint16, []byte, []byte, error) {
	curve, id := ecdh.X25519(), uint16(0x0020)
	if kem == "p256" {
		curve, id = ecdh.P256(), 0x0010
	} else if kem != "x25519" {
		return 0, nil, nil, fmt.Errorf("unknown KEM %q (x25519, p256)", kem)
	}
	key, err := curve.GenerateKey(rand.Reader)
	if err != nil {
		return 0, nil, nil, err
	}
	return id, key.Bytes(), key.PublicKey().Bytes(), nil
}

func parseSuites(list []string) ([][2]uint16, error) {
	if len(list) == 0 {
		list = []string{"1:1", "1:3"} // HKDF-SHA256 with AES-128-GCM, ChaCha20-Poly1305
	}
	var suites [][2]uint16
	for _, s := range list {
		kdf, aead, ok := strings.Cut(s, ":")
		k, err1 := strconv.ParseUint(kdf, 0, 16)
		a, err2 := strconv.ParseUint(aead, 0, 16)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("bad -suite %q (KDF:AEAD, e.g. 1:1)", s)
		}
		suites = append(suites, [2]uint16{uint16(k), uint16(a)})
	}
	return suites, nil
}

func loadPair(certs, stem string) (tls.Certificate, error) {
	return tls.LoadX509KeyPair(filepath.Join(certs, stem+"-chain.pem"), filepath.Join(certs, stem+".key"))
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	certs := fs.String("certs", "", "the Certs/ folder (leaf-ecdsa-p256, leaf-ech-public)")
	publicName := fs.String("public-name", "ech-public.example", "ECHConfig public_name")
	kem := fs.String("kem", "x25519", "HPKE KEM: x25519 or p256")
	configID := fs.Int("config-id", 0x42, "ECHConfig config_id")
	maxNameLength := fs.Int("max-name-length", 0, "ECHConfig maximum_name_length")
	reject := fs.Bool("reject", false, "print a config the server has no key for (ECH is rejected, retry configs sent)")
	hrr := fs.Bool("hrr", false, "accept only P-256 key shares (an x25519 first share gets a HelloRetryRequest)")
	noTickets := fs.Bool("no-tickets", false, "send no session tickets")
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	var suiteList, alpn listFlag
	fs.Var(&suiteList, "suite", "HPKE KDF:AEAD pair offered (repeatable; default 1:1 and 1:3)")
	fs.Var(&alpn, "alpn", "ALPN protocol to accept (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *certs == "" {
		return errors.New("-certs is required")
	}
	suites, err := parseSuites(suiteList)
	if err != nil {
		return err
	}
	if *configID < 0 || *configID > 255 || *maxNameLength < 0 || *maxNameLength > 255 {
		return errors.New("-config-id and -max-name-length are 0...255")
	}
	kemID, priv, pub, err := newKey(*kem)
	if err != nil {
		return err
	}
	config := marshalECHConfig(uint8(*configID), kemID, pub, suites, uint8(*maxNameLength), *publicName)
	advertised := configList(config)
	if *reject {
		// Same config_id and public name, another key: the server cannot decrypt, so it rejects ECH.
		_, _, otherPub, err := newKey(*kem)
		if err != nil {
			return err
		}
		advertised = configList(marshalECHConfig(uint8(*configID), kemID, otherPub, suites, uint8(*maxNameLength),
			*publicName))
	}
	inner, err := loadPair(*certs, "leaf-ecdsa-p256")
	if err != nil {
		return err
	}
	public, err := loadPair(*certs, "leaf-ech-public")
	if err != nil {
		return err
	}
	cfg := &tls.Config{
		MinVersion:               tls.VersionTLS13,
		Certificates:             []tls.Certificate{inner, public},
		EncryptedClientHelloKeys: []tls.EncryptedClientHelloKey{{Config: config, PrivateKey: priv, SendAsRetry: true}},
		SessionTicketsDisabled:   *noTickets,
		NextProtos:               alpn,
	}
	if *hrr {
		cfg.CurvePreferences = []tls.CurveID{tls.CurveP256}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Printf("ECHCONFIG %s\n", base64.StdEncoding.EncodeToString(advertised))
	fmt.Printf("RETRYCONFIG %s\n", base64.StdEncoding.EncodeToString(configList(config)))
	fmt.Printf("ACCEPT %s\n", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go handle(tls.Server(c, cfg))
	}
}

func handle(conn *tls.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if err := conn.Handshake(); err != nil {
		fmt.Printf("ERROR handshake: %v\n", err)
		return
	}
	st := conn.ConnectionState()
	ech := "rejected"
	if st.ECHAccepted {
		ech = "accepted"
	}
	fmt.Printf("CONNECTION ech=%s sni=%s resumed=%v hrr=%v group=0x%04x alpn=%s\n", ech, st.ServerName,
		st.DidResume, st.HelloRetryRequest, uint16(st.CurveID), st.NegotiatedProtocol)
	// Read the request: up to the end of an HTTP header, or the first read of anything else.
	buf := make([]byte, 8192)
	n := 0
	for n < len(buf) {
		m, err := conn.Read(buf[n:])
		n += m
		if err != nil || !bytes.HasPrefix(buf[:n], []byte("GET")) || bytes.Contains(buf[:n], []byte("\r\n\r\n")) {
			break
		}
	}
	body := fmt.Sprintf("ech_accepted=%v\nserver_name=%s\nresumed=%v\nhello_retry_request=%v\ngroup=0x%04x\nalpn=%s\n",
		st.ECHAccepted, st.ServerName, st.DidResume, st.HelloRetryRequest, uint16(st.CurveID), st.NegotiatedProtocol)
	fmt.Fprintf(conn, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

func client(args []string) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	connect := fs.String("connect", "", "HOST:PORT")
	ca := fs.String("ca", "", "trusted root (PEM)")
	serverName := fs.String("servername", "localhost", "the inner (real) server name")
	echConfig := fs.String("ech-config", "", "ECHConfigList, base64")
	resume := fs.Bool("resume", false, "connect a second time, resuming the first session")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pem, err := os.ReadFile(*ca)
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return errors.New("no certificate in -ca")
	}
	list, err := base64.StdEncoding.DecodeString(*echConfig)
	if err != nil {
		return fmt.Errorf("-ech-config: %v", err)
	}
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS13, RootCAs: roots, ServerName: *serverName,
		EncryptedClientHelloConfigList: list, ClientSessionCache: tls.NewLRUClientSessionCache(4),
	}
	rounds := 1
	if *resume {
		rounds = 2
	}
	for i := 0; i < rounds; i++ {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", *connect, cfg)
		var rejection *tls.ECHRejectionError
		if errors.As(err, &rejection) {
			fmt.Printf("REJECTED retry_configs=%s\n", base64.StdEncoding.EncodeToString(rejection.RetryConfigList))
			os.Exit(3)
		}
		if err != nil {
			return err
		}
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(conn, "GET / HTTP/1.0\r\n\r\n")
		reply, _ := io.ReadAll(conn)
		st := conn.ConnectionState()
		conn.Close()
		if !strings.Contains(string(reply), "ech_accepted=") {
			return fmt.Errorf("unexpected reply %q", reply)
		}
		fmt.Printf("RESULT ech_accepted=%v resumed=%v server_name=%s\n", st.ECHAccepted, st.DidResume, *serverName)
	}
	return nil
}

func main() {
	var err error
	if len(os.Args) > 1 && os.Args[1] == "client" {
		err = client(os.Args[2:])
	} else {
		err = serve(os.Args[1:])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "tls13-ech-server: %v\n", err)
		os.Exit(2)
	}
}
