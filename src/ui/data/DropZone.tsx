/** Drop files or folders, pick files or a folder, or paste: every way in ends in importFiles. */
import { useRef } from 'react';
import { useFileDrop } from '../common/use-file-drop';
import { collectDropped, fromFileList, importFiles } from './dataset-actions';
import { ACCEPT_ATTRIBUTE, ACCEPTED_DESCRIPTION } from './file-types';
import { MAX_SIDE } from './image-decode';

export function DropZone() {
  const files = useRef<HTMLInputElement>(null);
  const folder = useRef<HTMLInputElement>(null);
  // Entries must be taken synchronously, inside the event; the walk continues afterwards.
  const { over, dropProps } = useFileDrop((data) => void collectDropped(data).then(importFiles));

  return (
    <div className={`dropzone${over ? ' over' : ''}`} data-testid="dropzone" {...dropProps}>
      <p className="drop-title">Drop images or whole folders here</p>
      <p className="muted">
        {ACCEPTED_DESCRIPTION}. A folder's name becomes the label of the images directly inside it. Images are downscaled to at
        most {MAX_SIDE} px on the longer side and kept in this browser. You can also paste (Ctrl+V).
      </p>
      <div className="toolbar">
        <button type="button" onClick={() => files.current?.click()}>
          Add files…
        </button>
        <button type="button" onClick={() => folder.current?.click()}>
          Add a folder…
        </button>
      </div>
      <input
        ref={files}
        type="file"
        multiple
        accept={ACCEPT_ATTRIBUTE}
        hidden
        aria-label="Add image files"
        data-testid="file-input"
        onChange={(e) => {
          if (e.target.files) void importFiles(fromFileList(e.target.files));
          e.target.value = '';
        }}
      />
      <input
        ref={folder}
        type="file"
        hidden
        aria-label="Add a folder of images"
        {...{ webkitdirectory: '', directory: '' }}
        onChange={(e) => {
          if (e.target.files) void importFiles(fromFileList(e.target.files));
          e.target.value = '';
        }}
      />
    </div>
  );
}
