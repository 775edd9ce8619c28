namespace HcpModelFs.Testing.Hub;

/// <summary>Outcome of an access check, mapped onto statuses and X-Error-Code exactly as in spec §4.2.</summary>
public enum FakeHubAccess
{
    Allowed,

    /// <summary>401, no X-Error-Code, "Invalid credentials in Authorization header".</summary>
    InvalidToken,

    /// <summary>401 RepoNotFound (no token) or 404 RepoNotFound (with a valid token).</summary>
    RepoNotFound,

    /// <summary>403 without code, "Access to this resource is disabled." (only with a token).</summary>
    Disabled,

    /// <summary>401 GatedRepo: gated and no token.</summary>
    GatedNoToken,

    /// <summary>403 GatedRepo: gated and the token is not approved.</summary>
    GatedNotApproved,
}
