// The helpers shared with the public-API test target (servers, the test PKI, runBlocking), visible in every file.
@_exported import TLS13TestSupport
