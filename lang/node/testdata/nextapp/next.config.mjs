// The standalone output is what the image ships: server.js with the files it traced.
const nextConfig = {
  output: "standalone",
};

export default nextConfig;
