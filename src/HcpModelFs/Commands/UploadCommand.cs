using System.CommandLine;
using HcpModelFs.Configuration;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Hosting;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Commands;

/// <summary>`hcpmodelfs upload ORG/MODEL FOLDER`: publish a local folder into the store in the managed layout.</summary>
internal static class UploadCommand
{
    public static Command Create(Option<string?> envFile)
    {
        var name = new Argument<string>("org/model") { Description = "Where to publish, e.g. acme/llama-tuned" };
        var folder = new Argument<string>("folder") { Description = "The local folder to publish (all files below it)" };
        var revision = new Option<string>("--revision") { Description = "Ref name to point at the upload as well as the default", DefaultValueFactory = _ => "main" };
        var command = new Command("upload", "Publish a local folder as a model (objects, then manifest, then ref)") { name, folder, revision };
        command.SetAction(async (parse, ct) =>
        {
            var settings = SettingsLoader.Load(parse, envFile).Settings;
            var parts = parse.GetValue(name)!.Split('/');
            if (parts.Length != 2)
            {
                await Console.Error.WriteLineAsync("hcpmodelfs upload: the name must be ORG/MODEL");
                return 2;
            }

            var directory = parse.GetValue(folder)!;
            if (!Directory.Exists(directory))
            {
                await Console.Error.WriteLineAsync($"hcpmodelfs upload: {directory} is not a directory");
                return 2;
            }

            using var loggerFactory = Logging.Create(settings.LogLevel, settings.LogFormat, settings.LogFile);
            var store = ObjectStoreFactory.Create(settings.Store, settings.LocalStoreDirectory, loggerFactory);
            try
            {
                var publisher = new ModelPublisher(store, new StoreLayout(settings.Store.Prefix), loggerFactory.CreateLogger<ModelPublisher>());
                var manifest = await publisher.PublishAsync(parts[0], parts[1], directory, parse.GetValue(revision)!, ct);
                Console.WriteLine($"{parts[0]}/{parts[1]}@{manifest.Commit}: {manifest.Files.Count} files, {ByteSize.Format(manifest.Files.Sum(f => f.Size))}");
                return 0;
            }
            catch (ArgumentException ex)
            {
                await Console.Error.WriteLineAsync("hcpmodelfs upload: " + ex.Message);
                return 2;
            }
            finally
            {
                (store as IDisposable)?.Dispose();
            }
        });
        return command;
    }
}
