//! How a relay reaches PostgreSQL over TLS: `sslmode` in `database_url` as libpq reads it
//! (`disable`: never; `prefer`, the default: when the server offers it; `require`: always),
//! and `database_ca_file` to verify the server. With a CA file the server's certificate must
//! chain to it and name the host (libpq's `verify-full`); without one the connection is
//! encrypted but the certificate is not checked, as libpq's `require` does.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::store::StoreError;

/// The TLS setup for the database connections.
pub(crate) fn connector(
    ca_file: Option<&std::path::Path>,
) -> Result<tokio_postgres_rustls::MakeRustlsConnect, StoreError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|err| StoreError::Tls(err.to_string()))?;
    let config = match ca_file {
        Some(path) => {
            let pem = std::fs::read(path)
                .map_err(|source| StoreError::Dir { path: path.display().to_string(), source })?;
            let mut roots = rustls::RootCertStore::empty();
            let mut found = 0;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert =
                    cert.map_err(|err| StoreError::Tls(format!("{}: {err}", path.display())))?;
                roots.add(cert).map_err(|err| StoreError::Tls(err.to_string()))?;
                found += 1;
            }
            if found == 0 {
                return Err(StoreError::Tls(format!(
                    "{} holds no PEM certificate",
                    path.display()
                )));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
            .with_no_client_auth(),
    };
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// Accepts any server certificate (libpq's `sslmode=require` without a root certificate): the
/// connection is encrypted against eavesdropping, not against an impostor. Signatures are still
/// checked with the provider's algorithms, so the handshake itself is sound.
#[derive(Debug)]
struct Unverified(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
