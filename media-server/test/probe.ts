import { spawnSync } from 'node:child_process';

/** ffprobe's view of a file's video stream (frames counted by decoding) and its duration. */
export function probeVideo(file: string): Record<string, string | number> {
  const r = spawnSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-count_frames',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=codec_name,codec_tag_string,profile,width,height,pix_fmt,nb_read_frames:format=duration',
      '-of',
      'json',
      file,
    ],
    { encoding: 'utf8' },
  );
  if (r.stderr) throw new Error(`ffprobe ${file}: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as {
    streams: Record<string, string | number>[];
    format: { duration: string };
  };
  return { ...j.streams[0], duration: j.format.duration };
}

/** `key_frame,pict_type` of the file's first frame (`1,I` for a key frame). */
export function firstFrame(file: string): string {
  const r = spawnSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-read_intervals',
      '%+#1',
      '-show_entries',
      'frame=key_frame,pict_type',
      '-of',
      'csv=p=0',
      file,
    ],
    { encoding: 'utf8' },
  );
  return r.stdout.trim().split('\n')[0] ?? '';
}

/** What ffmpeg says when it decodes the whole file: nothing when it decodes cleanly. */
export function decodeErrors(file: string): string {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
  return r.status === 0 ? r.stderr : `exit ${r.status}: ${r.stderr}`;
}
