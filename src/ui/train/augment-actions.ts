/** Augmentation preview: the worker draws one multi-crop sample of an image with the current config. */
import { validateConfig } from '../../shared/config';
import { readPixels } from '../data/dataset-db';
import { useStore } from '../store';
import { client } from '../worker/worker-client';

export async function previewAugmentations(imageId: string): Promise<void> {
  const s = useStore.getState();
  // The preview says which fields to fix (AugmentPreview); the worker would refuse the config.
  if (validateConfig(s.config).length > 0) return;
  const meta = s.images.find((m) => m.id === imageId);
  const pixels = await readPixels(imageId);
  if (!meta || !pixels) {
    s.pushToast('error', 'That image is no longer in the dataset');
    return;
  }
  s.setAugmentPreview(s.augmentPreview, true);
  try {
    const r = await client.request<'augmentPreview'>({
      type: 'augmentPreview',
      image: { width: meta.width, height: meta.height, pixels },
      config: s.config,
    });
    s.setAugmentPreview({ imageId, name: meta.name, crops: r.crops, kinds: r.kinds }, false);
  } catch (e) {
    s.setAugmentPreview(useStore.getState().augmentPreview, false);
    s.pushToast('error', `Augmentation preview: ${(e as Error).message}`);
  }
}
