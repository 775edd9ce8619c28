namespace HcpModelFs.Hub.Http;

/// <summary>Which kind of endpoint an answer came from; decides how a bare 401/403/404 is read.</summary>
internal enum HubRoute
{
    Api,
    Resolve,
    Data,
}
