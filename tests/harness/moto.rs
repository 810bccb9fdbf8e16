//! A moto server on a free loopback port, stopped when dropped.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long moto may take to start answering.
const START_TIMEOUT: Duration = Duration::from_mins(1);

pub(crate) struct Moto {
    child: Child,
    port: u16,
}

/// The moto_server to run: $MOTO_SERVER, else the repository's .venv (tests/setup-moto.sh).
fn moto_server() -> PathBuf {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        return path.into();
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server");
    assert!(
        venv.exists(),
        "moto_server not found: run the tests with tests/run.sh, which installs it, or set MOTO_SERVER"
    );
    venv
}

/// The cfn-lint to run: $CFN_LINT, else the one next to the moto_server in use (both are
/// installed into one virtualenv by tests/setup-moto.sh).
pub(crate) fn cfn_lint() -> PathBuf {
    if let Some(path) = std::env::var_os("CFN_LINT") {
        return path.into();
    }
    let path = moto_server().with_file_name("cfn-lint");
    assert!(
        path.exists(),
        "cfn-lint not found next to moto_server: run the tests with tests/run.sh, which installs it, or set CFN_LINT"
    );
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Moto {
    pub(crate) fn start() -> Moto {
        let port = free_port();
        let mut child = Command::new(moto_server())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // AWS managed policies exist on AWS; vendors attach them by ARN.
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let deadline = Instant::now() + START_TIMEOUT;
        // Wait until moto accepts connections (it takes about a second to import).
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("moto_server exited before answering: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not answer on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Moto { child, port }
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// The moto process's id: examples/bench.rs reads its CPU time (no test does).
    #[allow(dead_code)]
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// An IAM query with the given form parameters; panics unless moto answers 200.
    pub(crate) fn iam(&self, params: &[(&str, &str)]) -> String {
        self.iam_with_key("testing", params)
    }

    /// An IAM query signed with `access_key` (moto acts in the account the key belongs to).
    pub(crate) fn iam_with_key(&self, access_key: &str, params: &[(&str, &str)]) -> String {
        self.query(access_key, "iam", "2010-05-08", params)
    }

    /// A CloudFormation query with the given form parameters; panics unless moto answers 200.
    pub(crate) fn cloudformation(&self, params: &[(&str, &str)]) -> String {
        self.query("testing", "cloudformation", "2010-05-15", params)
    }

    /// An sts:AssumeRole of `role_arn` as the default account; the XML answer.
    pub(crate) fn assume_role(&self, role_arn: &str) -> String {
        let params = [
            ("Action", "AssumeRole"),
            ("RoleSessionName", "harness"),
            ("RoleArn", role_arn),
        ];
        self.query("testing", "sts", "2011-06-15", &params)
    }

    /// A Query-protocol call to `service` (which moto tells by the credential scope).
    fn query(
        &self,
        access_key: &str,
        service: &str,
        version: &str,
        params: &[(&str, &str)],
    ) -> String {
        let body: Vec<String> = params
            .iter()
            .chain(&[("Version", version)])
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        self.post(
            access_key,
            service,
            "application/x-www-form-urlencoded",
            &[],
            &body.join("&"),
        )
    }

    /// An Organizations call (JSON protocol) as the default account.
    pub(crate) fn organizations(&self, action: &str, body: &str) -> String {
        let target = format!("AWSOrganizationsV20161128.{action}");
        self.post(
            "testing",
            "organizations",
            "application/x-amz-json-1.1",
            &[("X-Amz-Target", &target)],
            body,
        )
    }

    /// A POST to moto signed with `access_key` (moto reads the key, not the signature);
    /// panics unless moto answers 200.
    fn post(
        &self,
        access_key: &str,
        service: &str,
        content_type: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> String {
        use std::io::{Read, Write};
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let extra: String = headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect();
        write!(
            stream,
            "POST / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\
             Content-Type: {content_type}\r\nContent-Length: {}\r\n{extra}\
             Authorization: AWS4-HMAC-SHA256 Credential={access_key}/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n\r\n{body}",
            self.port,
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "moto refused {body}:\n{answer}"
        );
        answer
    }
}

fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
