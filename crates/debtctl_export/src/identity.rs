//! A repository's name in the shared database and on the dashboard: its origin remote's URL
//! without scheme, credentials and `.git` (so an SSH and an HTTPS clone share one name),
//! else its root directory's name.

use std::path::Path;

/// `git@github.com:psf/requests.git` and `https://user:token@github.com/psf/requests`
/// are both `github.com/psf/requests`. Credentials never survive.
pub fn normalize_remote(url: &str) -> String {
    let url = url.trim();
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
        assert_eq!(normalize_remote("/srv/git/tool.git"), "/srv/git/tool");
        assert_eq!(normalize_remote("file:///srv/git/tool.git"), "/srv/git/tool");
    }
}
