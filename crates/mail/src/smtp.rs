//! SMTP conversations on connections of our own. lettre speaks SMTP; this module opens the
//! connection, because lettre's own leaves Nagle's algorithm on: the end of every message then
//! waits for the server's delayed ACK, about 40 ms a mail on Linux (lettre's pull request 1159,
//! not yet released). Here the socket gets `TCP_NODELAY`, then TLS (`smtps://`) or STARTTLS
//! (`?tls=required`) and the sign-in as the URL says.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use lettre::Message;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::settings::{Security, SmtpUrl};

/// Why a conversation failed.
#[derive(Debug)]
pub enum SendError {
    /// No connection, TLS failed, or the server took too long.
    Connect(String),
    /// The server answered with an error (or the conversation broke off).
    Smtp(lettre::transport::smtp::Error),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Connect(why) => f.write_str(why),
            SendError::Smtp(e) => write!(f, "{e}"),
        }
    }
}

/// Opens signed-in SMTP connections to the server of `--smtp-url`.
pub struct Connector {
    url: SmtpUrl,
    credentials: Option<Credentials>,
    timeout: Duration,
    hello: ClientId,
}

impl Connector {
    pub fn new(url: &SmtpUrl, timeout: Duration) -> Connector {
        Connector {
            credentials: url.credentials(),
            url: url.clone(),
            timeout,
            hello: ClientId::default(),
        }
    }

    /// A connection ready for mail: greeted, encrypted as the URL says, signed in.
    pub async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let (host, port) = (self.url.host.as_str(), self.url.port);
        let tcp = tokio::time::timeout(self.timeout, TcpStream::connect((host, port)))
            .await
            .map_err(|_| SendError::Connect(format!("no connection to {host}:{port} in time")))?
            .map_err(|e| SendError::Connect(format!("cannot connect to {host}:{port}: {e}")))?;
        tcp.set_nodelay(true)
            .map_err(|e| SendError::Connect(format!("cannot set up the connection: {e}")))?;
        let stream: Box<dyn AsyncTokioStream> = match self.url.security {
            Security::Tls => {
                let tls = native_tls::TlsConnector::new()
                    .map_err(|e| SendError::Connect(format!("cannot set up TLS: {e}")))?;
                let encrypted = tokio::time::timeout(
                    self.timeout,
                    tokio_native_tls::TlsConnector::from(tls).connect(host, tcp),
                )
                .await
                .map_err(|_| SendError::Connect(format!("no TLS with {host} in time")))?
                .map_err(|e| SendError::Connect(format!("TLS with {host} failed: {e}")))?;
                Box::new(Encrypted(encrypted))
            }
            Security::StartTls | Security::Plain => Box::new(tcp),
        };
        let ready = async {
            let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &self.hello).await?;
            if self.url.security == Security::StartTls {
                conn.starttls(TlsParameters::new(host.to_string())?, &self.hello)
                    .await?;
            }
            if let Some(credentials) = &self.credentials {
                conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                    .await?;
            }
            Ok(conn)
        };
        tokio::time::timeout(self.timeout, ready)
            .await
            .map_err(|_| SendError::Connect(format!("{host}:{port} did not greet in time")))?
            .map_err(SendError::Smtp)
    }

    /// Sends one message on `conn` (its envelope from its headers), in time.
    pub async fn send(
        &self,
        conn: &mut AsyncSmtpConnection,
        message: &Message,
    ) -> Result<(), SendError> {
        tokio::time::timeout(
            self.timeout,
            conn.send(message.envelope(), &message.formatted()),
        )
        .await
        .map_err(|_| SendError::Connect("the SMTP server did not answer in time".to_string()))?
        .map(|_| ())
        .map_err(SendError::Smtp)
    }
}

/// A TLS stream lettre can speak through (it knows only its own and plain TCP).
#[derive(Debug)]
struct Encrypted(tokio_native_tls::TlsStream<TcpStream>);

impl AsyncRead for Encrypted {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Encrypted {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for Encrypted {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().get_ref().get_ref().peer_addr()
    }
}
