// Package fakeawstest starts the fakeaws emulator for tests and builds
// aws-sdk-go-v2 configurations that reach it.
package fakeawstest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
	"github.com/rs/zerolog"

	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/inventory"
)

// Start serves doc on 127.0.0.1 for the duration of the test and returns
// the server and its base URL ("http://127.0.0.1:PORT"). opts, when given,
// tune the server (Options.Log defaults to a no-op logger).
func Start(t testing.TB, doc *inventory.Document, opts ...fakeaws.Options) (*fakeaws.Server, string) {
	t.Helper()
	var o fakeaws.Options
	if len(opts) > 0 {
		o = opts[0]
	} else {
		o.Log = zerolog.Nop()
	}
	srv, err := fakeaws.New(doc, o)
	if err != nil {
		t.Fatalf("fakeaws.New: %v", err)
	}
	u, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatalf("fakeaws Listen: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("fakeaws Close: %v", err)
		}
	})
	return srv, u
}

// ManagementCredentials returns the static credentials the emulator
// accepts for doc's management account.
func ManagementCredentials(doc *inventory.Document) aws.CredentialsProvider {
	id, secret := fakeaws.ManagementKeys(doc)
	return credentials.NewStaticCredentialsProvider(id, secret, "")
}

// Config returns an aws.Config that sends every service to baseURL with
// the management credentials of doc, in region.
func Config(baseURL, region string, doc *inventory.Document) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  aws.NewCredentialsCache(ManagementCredentials(doc)),
		BaseEndpoint: aws.String(baseURL),
	}
}

// S3Options makes an S3 client use path-style addressing, which the
// emulator (on an IP address) needs.
func S3Options(o *s3.Options) { o.UsePathStyle = true }

// S3ControlOptions makes an S3 Control client send requests to baseURL
// as is. Without it, the SDK's endpoint rules put the account ID in front
// of the host ("222222222222.127.0.0.1"), which does not resolve.
func S3ControlOptions(baseURL string) func(*s3control.Options) {
	return func(o *s3control.Options) {
		o.EndpointResolverV2 = FixedEndpoint(baseURL)
	}
}

// FixedEndpoint is an S3 Control endpoint resolver that keeps the host of
// a custom endpoint: the account travels in the x-amz-account-id header.
type FixedEndpoint string

// ResolveEndpoint returns the fixed endpoint.
func (e FixedEndpoint) ResolveEndpoint(_ context.Context, _ s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	u, err := url.Parse(string(e))
	if err != nil {
		return smithyendpoints.Endpoint{}, err
	}
	return smithyendpoints.Endpoint{URI: *u}, nil
}

// DeadEndpoint returns a loopback URL ("http://127.0.0.1:PORT") on which
// nothing listens: a call to it is refused, as by an endpoint that is down.
func DeadEndpoint(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return url
}

// TLSServer is the emulator served over HTTPS on 127.0.0.1 with a
// certificate of a CA made for the test.
type TLSServer struct {
	*fakeaws.Server
	// URL is "https://127.0.0.1:PORT".
	URL string
	// CABundle is the path of the CA's certificate (PEM), for
	// AWS_CA_BUNDLE or a profile's ca_bundle.
	CABundle string
	// handshakes counts the TLS ClientHellos received, failed ones included.
	handshakes atomic.Int64
}

// Handshakes returns the number of TLS handshakes clients started.
func (s *TLSServer) Handshakes() int64 { return s.handshakes.Load() }

// StartTLS serves doc over HTTPS on 127.0.0.1 for the duration of the test,
// with a server certificate for 127.0.0.1 signed by a self-signed CA whose
// PEM is written to a temporary file (TLSServer.CABundle).
func StartTLS(t testing.TB, doc *inventory.Document) *TLSServer {
	t.Helper()
	srv, err := fakeaws.New(doc, fakeaws.Options{Log: zerolog.Nop()})
	if err != nil {
		t.Fatalf("fakeaws.New: %v", err)
	}
	caPEM, cert := testCertificates(t)
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	s := &TLSServer{Server: srv, CABundle: bundle}
	hs := httptest.NewUnstartedServer(srv)
	hs.Listener.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs.Listener = ln
	hs.TLS = &tls.Config{
		Certificates: []tls.Certificate{cert},
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			s.handshakes.Add(1)
			return nil, nil
		},
	}
	// A client that rejects the certificate closes the handshake; the
	// server's log of it is noise here.
	hs.Config.ErrorLog = log.New(io.Discard, "", 0)
	hs.StartTLS()
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// testCertificates makes a self-signed CA (its certificate as PEM) and a
// server certificate for 127.0.0.1 signed by it.
func testCertificates(t testing.TB) ([]byte, tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fakeawstest CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// ChainEnv points the SDK's default credential chain at doc's management
// keys (nil doc: the emulator's default keys) and away from any real
// profile, region, CA bundle or the instance metadata service, for the
// duration of the test.
func ChainEnv(t testing.TB, doc *inventory.Document) {
	t.Helper()
	id, secret := fakeaws.ManagementKeys(doc)
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": id, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_CA_BUNDLE": "",
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
}
