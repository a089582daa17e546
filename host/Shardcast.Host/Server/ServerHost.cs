using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Shardcast.Host.Server;

/// <summary>Builds the generic host that runs the socket server: configuration, validated options, logging, metrics.</summary>
public static class ServerHost
{
    /// <param name="overrides">Settings from the command line, e.g. Server:Listen; they win over appsettings.json and the environment.</param>
    /// <param name="clock">What request deadlines are measured by; the system clock unless a test drives its own.</param>
    public static IHost Build(IDictionary<string, string?> overrides, string? contentRoot = null, TimeProvider? clock = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = contentRoot ?? AppContext.BaseDirectory,
            DisableDefaults = true,
        });
        builder.Configuration
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables("SHARDCAST_")
            .AddInMemoryCollection(overrides);
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        // A listener that cannot start is reported by `serve` in one line (error: cannot listen: ...); the host's own
        // log of the same failure would print its stack trace first.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        // Ctrl+C and SIGTERM start a graceful shutdown (the defaults this builder leaves out would register it).
        builder.Services.AddSingleton<IHostLifetime, Microsoft.Extensions.Hosting.Internal.ConsoleLifetime>();
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.AddMetrics();
        builder.Services.AddOptions<ServerOptions>().Bind(builder.Configuration.GetSection(ServerOptions.Section)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ServerOptions>, ServerOptionsValidator>();
        builder.Services.AddSingleton(clock ?? TimeProvider.System);
        builder.Services.AddSingleton<ServerMetrics>();
        builder.Services.AddSingleton<ShardcastServer>();
        builder.Services.AddHostedService(p => p.GetRequiredService<ShardcastServer>());
        builder.Services.AddSingleton<MetricsEndpoint>();
        builder.Services.AddHostedService(p => p.GetRequiredService<MetricsEndpoint>());
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(builder.Configuration.GetValue(ServerOptions.Section + ":ShutdownSeconds", 30.0) + 5));
        return builder.Build();
    }

    private sealed class ServerOptionsValidator : IValidateOptions<ServerOptions>
    {
        public ValidateOptionsResult Validate(string? name, ServerOptions options)
        {
            var problems = options.Validate();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
