export const dynamic = "force-dynamic";

export default function Home() {
  // One string, so React renders it as one text node.
  return <main>{`rendered on the server by uid ${process.getuid()}`}</main>;
}
