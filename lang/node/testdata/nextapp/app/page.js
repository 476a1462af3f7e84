export const dynamic = "force-dynamic";

export default function Home() {
  return <main>rendered on the server by uid {process.getuid()}</main>;
}
