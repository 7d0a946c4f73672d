/** Makes sure an image is on the agent: use it if present, else pull it (heartbeating), else fail for good. */
import type Docker from 'dockerode';
import { FailureType } from '../../../workflows/model/failures';
import { failure } from '../../failures';
import { classifyDockerError, dockerMessage, dockerStatus, isDockerUnreachable } from './docker-errors';

export async function ensureImage(
  docker: Docker,
  image: string,
  agent: string,
  socket: string,
  onProgress: (detail: string) => void,
): Promise<void> {
  try {
    await docker.getImage(image).inspect();
    return;
  } catch (err) {
    if (dockerStatus(err) !== 404) throw classifyDockerError(err, `inspect image ${image}`, socket);
  }
  try {
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (event: { status?: string; progress?: string }) => onProgress(`${event.status ?? ''} ${event.progress ?? ''}`.trim()),
      );
    });
  } catch (err) {
    if (isDockerUnreachable(err)) throw classifyDockerError(err, `pull image ${image}`, socket);
    throw failure(
      FailureType.ImageNotFound,
      `image "${image}" is not on agent ${agent} and pulling it failed: ${dockerMessage(err)}. ` +
        `Load the image on that agent (docker pull / docker load) or fix the service's "exec"`,
      err,
    );
  }
}
