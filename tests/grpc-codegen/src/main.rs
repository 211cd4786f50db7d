//! `grpc-codegen <proto dir> <out dir>`: writes `helloworld.rs` into the out dir.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (proto_dir, out_dir) = match (args.next(), args.next()) {
        (Some(p), Some(o)) => (p, o),
        _ => return Err("usage: grpc-codegen <proto dir> <out dir>".into()),
    };
    std::env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?);
    std::fs::create_dir_all(&out_dir)?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .out_dir(&out_dir)
        .compile_protos(&[format!("{proto_dir}/helloworld.proto")], &[proto_dir])?;
    Ok(())
}
