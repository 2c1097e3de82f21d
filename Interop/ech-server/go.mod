module swift-tls13/interop/ech-server

go 1.26
