//! A repository's name in the shared database and on the dashboard: its origin remote's URL
//! without scheme, credentials and `.git` (so an SSH and an HTTPS clone share one name);
//! for an origin that is a local path, that directory's name; else the repository root
//! directory's name.

use std::path::Path;

/// `git@github.com:psf/requests.git` and `https://user:token@github.com/psf/requests`
/// are both `github.com/psf/requests`. Credentials never survive. A local origin
/// (`/srv/git/requests.git`, `../requests`, `file:///srv/git/requests`) is named by its
/// directory, `requests`: its path says where a clone was made, not what it is.
pub fn normalize_remote(url: &str) -> String {
    let url = url.trim();
    if let Some(path) = local_path(url) {
        return directory_name(path);
    }
    let rest = match url.find("://") {
        Some(i) => &url[i + 3..],
        None => url,
    };
    // The authority ends at the first `/`; userinfo is everything before its last `@`.
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let mut name = if url.contains("://") {
        format!("{authority}{path}")
    } else if let Some((host, p)) = authority.split_once(':').filter(|_| !authority.starts_with('/')) {
        // scp-like `host:path`.
        format!("{host}/{}{path}", p.trim_start_matches('/'))
    } else {
        format!("{authority}{path}")
    };
    while name.ends_with('/') {
        name.pop();
    }
    if let Some(stripped) = name.strip_suffix(".git") {
        name = stripped.to_string();
    }
    name
}

/// The path of a remote that git reads from the file system: a `file://` URL, or a URL
/// without a scheme that is not scp-like (`host:path`, with no `/` before the `:`).
fn local_path(url: &str) -> Option<&str> {
    if let Some(path) = url.strip_prefix("file://") {
        return Some(path);
    }
    if url.contains("://") {
        return None;
    }
    let b = url.as_bytes();
    if b.len() > 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'\\' | b'/') {
        return Some(url); // a Windows drive path
    }
    let scp_like = match (url.find(':'), url.find('/')) {
        (Some(colon), Some(slash)) => colon < slash,
        (Some(_), None) => true,
        (None, _) => false,
    };
    (!scp_like).then_some(url)
}

/// The last component of a repository path, without `.git`: `/srv/tool.git`,
/// `/srv/tool/.git/` and `../tool` are all `tool`.
fn directory_name(path: &str) -> String {
    let mut parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty() && *p != ".").collect();
    if parts.last() == Some(&".git") {
        parts.pop();
    }
    let last = parts.last().copied().unwrap_or(path);
    last.strip_suffix(".git").filter(|s| !s.is_empty()).unwrap_or(last).to_string()
}

/// The name of the repository at `root`.
pub fn repository_name(root: &Path) -> String {
    let from_remote = git2::Repository::open(root)
        .ok()
        .and_then(|r| r.find_remote("origin").ok().and_then(|o| o.url().map(normalize_remote)))
        .filter(|n| !n.is_empty());
    from_remote.unwrap_or_else(|| {
        let abs = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
        abs.file_name().map_or_else(|| abs.display().to_string(), |n| n.to_string_lossy().into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_and_https_remotes_share_a_name_without_credentials() {
        for url in [
            "git@github.com:psf/requests.git",
            "https://github.com/psf/requests.git",
            "https://user:ghp_token@github.com/psf/requests",
            "ssh://git@github.com/psf/requests.git/",
        ] {
            assert_eq!(normalize_remote(url), "github.com/psf/requests", "{url}");
        }
    }

    /// Regression (issue 16): a clone of a local path was named by the whole path
    /// (`/work/corpora/requests`) on the dashboard and in the database.
    #[test]
    fn a_local_origin_is_named_by_its_directory() {
        for url in [
            "/srv/git/tool.git",
            "/srv/git/tool",
            "/srv/git/tool/",
            "/srv/git/tool/.git",
            "file:///srv/git/tool.git",
            "../tool",
            "./tool.git",
            "tool",
            "C:\\repos\\tool.git",
        ] {
            assert_eq!(normalize_remote(url), "tool", "{url}");
        }
        // A colon after a slash is part of a local path, not an scp-like host.
        assert_eq!(normalize_remote("./a:b/tool"), "tool");
        assert_eq!(normalize_remote("host:team/tool.git"), "host/team/tool");
    }
}
