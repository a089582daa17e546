using System.Reflection;

namespace Shardcast.Host;

/// <summary>The one version string the program reports: the CLI's --version, the server's `capabilities` and its start-up line (1.0.0+commit).</summary>
public static class ProductVersion
{
    public static string Text { get; } =
        typeof(ProductVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ProductVersion).Assembly.GetName().Version?.ToString()
        ?? "0";
}
