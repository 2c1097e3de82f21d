extension ClientContext {
    /// The client's Certificate and CertificateVerify answering `request` (RFC 8446 §4.4.2, §4.4.3), in the handshake
    /// or after it: the configured chain when its signer can make a scheme the server accepts, else an empty
    /// Certificate (the server then decides whether to go on). Both are appended to `transcript`; returns their bytes.
    mutating func clientAuthentication(answering request: CertificateRequest, transcript: TranscriptHash) throws(TLSError)
        -> [UInt8]
    {
        let credential = configuration.clientCertificate
        let scheme = credential?.scheme(acceptedBy: request.signatureAlgorithms)
        let entries = scheme == nil ? [] : (credential?.chain ?? []).map { CertificateMessage.Entry(certData: $0) }
        let message = CertificateMessage(certificateRequestContext: request.certificateRequestContext, entries: entries)
        let certificate = try HandshakeMessage.certificate(message).encoded
        transcript.update(certificate)
        traceMessage(.certificate(message), .sent, length: certificate.count)
        guard let scheme, let credential else { return certificate }

        let content = CertificateVerify.signedContent(signer: .client, transcriptHash: try transcript.current())
        let signature = try timed("signing", "\(scheme)") { () throws(TLSError) in
            try credential.signer.sign(scheme: scheme, content: content)
        }
        let verify = CertificateVerify(algorithm: scheme, signature: signature)
        let verifyBytes = try HandshakeMessage.certificateVerify(verify).encoded
        traceMessage(.certificateVerify(verify), .sent, length: verifyBytes.count)
        transcript.update(verifyBytes)
        info.clientCertificateSent = true
        return certificate + verifyBytes
    }
}
