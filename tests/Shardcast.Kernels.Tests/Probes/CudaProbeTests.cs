using Shardcast.Kernels.Probes;

namespace Shardcast.Kernels.Tests.Probes;

public class CudaProbeTests
{
    [Fact]
    public void Nvrtc_is_looked_for_in_the_named_toolkit_and_in_the_wheels_of_virtual_environments_and_the_python3_on_the_path()
    {
        string root = Path.Combine(Path.GetTempPath(), $"shardcast-nvrtc-{Guid.NewGuid():N}");
        try
        {
            // A venv named by VIRTUAL_ENV with CUDA 13's wheel layout, another found only through the python3 on PATH
            // with CUDA 12's, and a toolkit named by CUDA_HOME.
            string named = Wheel(root, "named", "cu13", "libnvrtc.so.13");
            string onPath = Wheel(root, "onpath", "cuda_nvrtc", "libnvrtc.so.12");
            string builtins = Path.Combine(Path.GetDirectoryName(onPath)!, "libnvrtc-builtins.so.12");
            File.WriteAllText(builtins, string.Empty);
            Directory.CreateDirectory(Path.Combine(root, "onpath", "bin"));
            File.WriteAllText(Path.Combine(root, "onpath", "bin", "python3"), string.Empty);
            string toolkit = Path.Combine(root, "toolkit");
            var environment = new Dictionary<string, string>
            {
                ["VIRTUAL_ENV"] = Path.Combine(root, "named"),
                ["PATH"] = $"/nonexistent:{Path.Combine(root, "onpath", "bin")}",
                ["CUDA_HOME"] = toolkit,
                ["HOME"] = root,
            };

            var candidates = CudaProbe.NvrtcCandidates(name => environment.GetValueOrDefault(name));
            Assert.Equal("libnvrtc.so", candidates[0]);
            Assert.Contains(named, candidates);
            Assert.Contains(onPath, candidates);
            Assert.DoesNotContain(builtins, candidates);
            Assert.Contains(Path.Combine(toolkit, "lib64", "libnvrtc.so"), candidates);
            Assert.True(candidates.ToList().IndexOf(Path.Combine(toolkit, "lib64", "libnvrtc.so")) < candidates.ToList().IndexOf(named), "a named toolkit comes before the wheels");
            Assert.Equal(candidates.Count, candidates.Distinct().Count());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static string Wheel(string root, string environment, string wheel, string file)
    {
        string folder = Path.Combine(root, environment, "lib", "python3.12", "site-packages", "nvidia", wheel, "lib");
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, file);
        File.WriteAllText(path, string.Empty);
        return path;
    }
}
