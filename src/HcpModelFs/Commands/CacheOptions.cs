using System.CommandLine;
using HcpModelFs.Configuration;

namespace HcpModelFs.Commands;

/// <summary>`--cache-dir` and `--cache-max-size`, shared by the commands that run or look at a cache (`mount`, `serve`, `cache`, `ls`, `info`, `rm`).</summary>
internal sealed class CacheOptions
{
    public Option<string?> Directory { get; } = new("--cache-dir") { Description = "Local block cache directory (MODEL_CACHE_DIR)" };

    public Option<string?> MaxSize { get; } = new("--cache-max-size") { Description = "Cache size limit, e.g. 200GiB (MODEL_CACHE_MAX_SIZE)" };

    /// <summary>The flags as the variables they set: the top layer of <see cref="ConfigurationLayers"/>.</summary>
    public Dictionary<string, string> Flags(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (parse.GetValue(Directory) is { } dir)
        {
            flags["MODEL_CACHE_DIR"] = dir;
        }

        if (parse.GetValue(MaxSize) is { } size)
        {
            flags["MODEL_CACHE_MAX_SIZE"] = size;
        }

        return flags;
    }

    /// <summary>Only `--cache-dir` applied (commands that look at a cache but do not run one).</summary>
    public DaemonSettings ApplyDirectory(DaemonSettings settings, ParseResult parse) =>
        parse.GetValue(Directory) is { } dir ? settings with { CacheDirectory = dir } : settings;

    /// <summary>The settings with the flags applied over them (flags win over the environment).</summary>
    public DaemonSettings Apply(DaemonSettings settings, ParseResult parse)
    {
        if (parse.GetValue(Directory) is { } dir)
        {
            settings = settings with { CacheDirectory = dir };
        }

        if (parse.GetValue(MaxSize) is { } size)
        {
            settings = settings with
            {
                CacheMaxBytes = ByteSize.TryParse(size, out var bytes) && bytes > 0
                    ? bytes
                    : throw new FormatException("--cache-max-size must be a size such as 200GiB"),
            };
        }

        return settings;
    }
}
